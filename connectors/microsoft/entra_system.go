package microsoft

import (
	"context"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// Declaration is what the Entra ID connector implements, with the words
// people see, when it does not delete users (entra.delete_after unset).
func Declaration() offboard.Connector { return DeclarationFor(0) }

// DeclarationFor is the declaration with deletion deleteAfter after the
// revocation point (0: never, the default). Deactivation removes app
// assignments, groups and licenses; deletion is its own task, behind an
// approval.
func DeclarationFor(deleteAfter time.Duration) offboard.Connector {
	d := offboard.Connector{
		Name:  System,
		Label: "Microsoft Entra ID",
		Bindings: []offboard.Binding{
			{Capability: offboard.IdentitySuspend, Action: "entra.suspend",
				Title: "Disable the Microsoft Entra ID account", Button: "Disable in Entra ID", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityClearSessions, Action: "entra.clear_sessions",
				Title: "Revoke Microsoft Entra ID sign-in sessions", Button: "Revoke sessions", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityResetMFA, Action: "entra.reset_mfa",
				Title: "Remove Microsoft Entra ID authentication methods", Button: "Remove MFA methods", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityRevokeGrants, Action: "entra.revoke_grants",
				Title: "Revoke Microsoft Entra ID consent grants", Button: "Revoke grants", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityDeactivate, Action: "entra.deactivate",
				Title: "Remove Microsoft Entra ID app assignments, groups and licenses", Button: "Deactivate in Entra ID", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityRestore, Action: "entra.restore",
				Title: "Re-enable the Microsoft Entra ID account", Button: "Re-enable in Entra ID", Priority: offboard.PriorityRevocation},
		},
		Actions: ActionIDs(),
	}
	if deleteAfter > 0 {
		d.Bindings = append(d.Bindings, offboard.Binding{Capability: offboard.IdentityDelete, Action: "entra.delete",
			Title: "Delete the Microsoft Entra ID user (restorable for 30 days from deleted items)", Button: "Delete in Entra ID",
			Priority: offboard.PriorityRevocation, When: offboard.Duration(deleteAfter).String()})
		d.Actions = append(d.Actions, "entra.delete")
	}
	return d
}

// ActionIDs are the connector's action ids in the safe order.
func ActionIDs() []string {
	return []string{"entra.suspend", "entra.clear_sessions", "entra.reset_mfa", "entra.revoke_grants", "entra.deactivate", "entra.restore"}
}

// Register registers the Entra ID actions and declaration.
func (e *Entra) Register(r *connectors.Registry) error {
	actions := map[string]connectors.Action{
		"entra.suspend":        connectors.ActionFunc(e.suspend),
		"entra.clear_sessions": connectors.ActionFunc(e.clearSessions),
		"entra.reset_mfa":      connectors.ActionFunc(e.resetMFA),
		"entra.revoke_grants":  connectors.ActionFunc(e.revokeGrants),
		"entra.deactivate":     connectors.ActionFunc(e.deactivate),
		"entra.restore":        connectors.ActionFunc(e.restore),
	}
	if len(actions) != len(ActionIDs()) {
		return fmt.Errorf("entra: %d actions for %d ids", len(actions), len(ActionIDs()))
	}
	// Deletion is registered only when configured, so that no playbook
	// can name it otherwise.
	if e.deleteAfter > 0 {
		actions["entra.delete"] = connectors.ActionFunc(e.deleteUser)
	}
	return r.RegisterConnector(DeclarationFor(e.deleteAfter), actions)
}

// Entra says who can still sign in, for reconciliation.
var _ offboard.IdentityStatusSource = (*Entra)(nil)

// IdentityLabel names Entra ID for people.
func (e *Entra) IdentityLabel() string { return "Microsoft Entra ID" }

// AccountStatus reads the account of email: enabled accounts are active.
// No such user is Found=false with a nil error.
func (e *Entra) AccountStatus(ctx context.Context, email string) (offboard.AccountStatus, error) {
	u, err := e.c.FindUser(ctx, offboard.Target{Email: email})
	if offboard.ErrorCode(err) == offboard.ENOTFOUND {
		return offboard.AccountStatus{}, nil
	}
	if err != nil {
		return offboard.AccountStatus{}, err
	}
	status := "disabled"
	if u.Enabled() {
		status = "enabled"
	}
	return offboard.AccountStatus{Found: true, Status: status, Active: u.Enabled()}, nil
}
