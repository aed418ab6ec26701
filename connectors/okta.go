package connectors

// OktaActionIDs returns the ids of the Okta connector's actions, in the
// safe order: suspend, clear sessions and OAuth tokens, reset MFA factors,
// revoke consent grants, remove from groups, deactivate, and the app
// assignment report for license reclaim.
func OktaActionIDs() []string {
	return []string{
		"okta.suspend",
		"okta.clear_sessions",
		"okta.reset_factors",
		"okta.revoke_grants",
		"okta.remove_groups",
		"okta.deactivate",
		"okta.app_report",
		// okta.restore undoes suspend/deactivate on a cancelled case.
		"okta.restore",
	}
}
