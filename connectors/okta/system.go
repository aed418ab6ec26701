package okta

import (
	"fmt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// Declaration returns what the Okta connector implements and the words
// people see for it. The playbook, the cards and the restore of a
// cancelled case read it; nothing outside this package names Okta.
// Actions are in the safe order.
func Declaration() offboard.Connector {
	return offboard.Connector{
		Name:  "okta",
		Label: "Okta",
		Bindings: []offboard.Binding{
			{Capability: offboard.IdentitySuspend, Action: "okta.suspend",
				Title: "Suspend the Okta account", Button: "Suspend in Okta", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityClearSessions, Action: "okta.clear_sessions",
				Title: "Clear Okta sessions and OAuth tokens", Button: "Clear sessions", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityResetMFA, Action: "okta.reset_factors",
				Title: "Reset MFA factors", Button: "Reset MFA", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityRevokeGrants, Action: "okta.revoke_grants",
				Title: "Revoke OAuth consent grants", Button: "Revoke grants", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityDeactivate, Action: "okta.deactivate",
				Title: "Deactivate the Okta account", Button: "Deactivate in Okta", Priority: offboard.PriorityRevocation},
			// The app assignment report is what license reclaim works from.
			{Capability: offboard.LicensesReport, Action: "okta.app_report",
				Title: "Reclaim SaaS licenses", Button: "List apps", Priority: offboard.PriorityReport},
			{Capability: offboard.IdentityRestore, Action: "okta.restore",
				Title: "Restore Okta access", Button: "Restore in Okta", Priority: offboard.PriorityRevocation},
		},
		Actions: ActionIDs(),
	}
}

// ActionIDs returns the ids of the connector's actions, in the safe
// order: suspend, clear sessions and OAuth tokens, reset MFA factors,
// revoke consent grants, remove from groups (no capability: a config
// playbook may name it), deactivate, the app assignment report for
// license reclaim, and restore.
func ActionIDs() []string {
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

// NotConfigured is why the Okta actions fail when the okta section of
// the config is empty.
const NotConfigured = "Okta is not configured: set okta.org_url and okta.client_id with okta.private_key (or okta.api_token)"

// Register registers the connector's actions and its declaration.
func (c *Client) Register(r *connectors.Registry) error {
	actions := map[string]connectors.Action{
		"okta.suspend":        c.updatesUser(c.suspend),
		"okta.clear_sessions": c.updatesUser(c.clearSessions),
		"okta.reset_factors":  c.updatesUser(c.resetFactors),
		"okta.revoke_grants":  c.updatesUser(c.revokeGrants),
		"okta.remove_groups":  connectors.ActionFunc(c.removeGroups),
		"okta.deactivate":     c.updatesUser(c.deactivate),
		"okta.app_report":     connectors.ActionFunc(c.appReport),
		"okta.restore":        c.updatesUser(c.restore),
	}
	if len(actions) != len(ActionIDs()) {
		return fmt.Errorf("okta: %d actions for %d ids", len(actions), len(ActionIDs()))
	}
	return r.RegisterConnector(Declaration(), actions)
}
