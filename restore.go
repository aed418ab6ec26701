package offboard

import "strings"

// What a cancelled case can undo. Identity systems can lift a suspension
// or reactivate a deactivated account (their identity.restore binding);
// what the other revocations destroyed is gone, and the person must
// re-create it.

// RestoreFor returns the system that owns action and its binding of
// identity.restore, which undoes the action's lifecycle change (a
// suspend or a deactivate) on a cancelled case. ok is false when no
// system owns action or its system cannot restore.
func (ss Connectors) RestoreFor(action string) (s Connector, restore Binding, ok bool) {
	s, _, found := ss.Owner(action)
	if !found {
		return Connector{}, Binding{}, false
	}
	restore, ok = s.Binding(IdentityRestore)
	return s, restore, ok
}

// Irreversible says, for people, what a revocation destroyed that a
// restore cannot bring back; "" when a restore undoes it. c is the
// capability the action is bound to ("" for an action bound to none,
// which is then named by its verb).
func Irreversible(c Capability, action string) string {
	switch c {
	case IdentitySuspend:
		return ""
	case IdentityDeactivate:
		return "app assignments were removed by the deactivation: reassign the apps (and check their data)"
	case IdentityClearSessions:
		return "sessions and OAuth tokens were ended: the person signs in again everywhere"
	case IdentityResetMFA:
		return "MFA factors were reset: the person must enrol MFA again"
	case IdentityRevokeGrants:
		return "OAuth consent grants were revoked: apps ask for consent again"
	case IdentityDelete:
		return "the account was deleted: a restore brings it back only while the system keeps deleted accounts (30 days in Microsoft Entra ID)"
	}
	if _, verb, _ := strings.Cut(action, "."); verb == "remove_groups" {
		return "group memberships were removed: add the person back to their groups"
	}
	return "what " + action + " changed must be undone by hand"
}
