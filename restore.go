package offboard

import "strings"

// What a cancelled case can undo. Identity systems can lift a suspension
// or reactivate a deactivated account (the "<vendor>.restore" action);
// what the other revocations destroyed is gone, and the person must
// re-create it.

// RestoreAction is the action that undoes a revocation's lifecycle
// change: "okta.restore" for "okta.suspend" or "okta.deactivate". It is
// "" for actions that change no lifecycle state.
func RestoreAction(action string) string {
	vendor, verb, ok := strings.Cut(action, ".")
	if !ok || vendor == "" || (verb != "suspend" && verb != "deactivate") {
		return ""
	}
	return vendor + ".restore"
}

// Irreversible says, for people, what a revocation destroyed that a
// restore cannot bring back; "" when a restore undoes it.
func Irreversible(action string) string {
	_, verb, _ := strings.Cut(action, ".")
	switch verb {
	case "suspend":
		return ""
	case "deactivate":
		return "app assignments were removed by the deactivation: reassign the apps (and check their data)"
	case "clear_sessions":
		return "sessions and OAuth tokens were ended: the person signs in again everywhere"
	case "reset_factors":
		return "MFA factors were reset: the person must enrol MFA again"
	case "revoke_grants":
		return "OAuth consent grants were revoked: apps ask for consent again"
	case "remove_groups":
		return "group memberships were removed: add the person back to their groups"
	}
	return "what " + action + " changed must be undone by hand"
}
