package google

import (
	"context"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// Label names Google Workspace for people.
const Label = "Google Workspace"

// Google is the Google Workspace connector.
type Google struct {
	c *Client
	// deleteAfter is when the user is deleted after the revocation point
	// (0: never).
	deleteAfter time.Duration
	// licenses are removed at deactivation; prices are monthly seat
	// prices by lower-case SKU id or name, for the license report.
	licenses []License
	prices   map[string]float64
	// checkEvery is how often a running transfer is asked about.
	checkEvery time.Duration
	transfers  transferMemory
}

// License is one Workspace product SKU the Licensing API is asked about.
type License struct {
	ProductID string
	SKUID     string
	Name      string
}

// Settings are the connector's choices beyond the client's.
type Settings struct {
	// DeleteAfter deletes users this long after the revocation point,
	// behind the playbook's approval (0: never).
	DeleteAfter time.Duration
	// Licenses are the SKUs removed at deactivation (nil: DefaultLicenses).
	Licenses []License
	// Prices are monthly seat prices by SKU id or name (any case).
	Prices map[string]float64
	// TransferCheckEvery is how often a running transfer is asked about
	// (0: one minute).
	TransferCheckEvery time.Duration
}

// NewGoogle is the connector on c.
func NewGoogle(c *Client, s Settings) *Google {
	g := &Google{c: c, deleteAfter: s.DeleteAfter, licenses: s.Licenses, prices: map[string]float64{},
		checkEvery: s.TransferCheckEvery}
	if len(g.licenses) == 0 {
		g.licenses = DefaultLicenses()
	}
	for k, v := range s.Prices {
		g.prices[lower(k)] = v
	}
	if g.checkEvery <= 0 {
		g.checkEvery = time.Minute
	}
	return g
}

// Declaration is what the connector implements when it does not delete
// users (google.delete_after unset).
func Declaration() offboard.Connector { return DeclarationFor(0) }

// DeclarationFor is the declaration with deletion deleteAfter after the
// revocation point (0: never, the default).
func DeclarationFor(deleteAfter time.Duration) offboard.Connector {
	d := offboard.Connector{
		Name:  System,
		Label: Label,
		Bindings: []offboard.Binding{
			{Capability: offboard.IdentitySuspend, Action: "google.suspend",
				Title: "Suspend the Google Workspace account", Button: "Suspend in Google", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityClearSessions, Action: "google.sign_out",
				Title: "Sign out of every Google session", Button: "Sign out of Google", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityResetMFA, Action: "google.reset_mfa",
				Title: "Invalidate Google backup codes and app passwords", Button: "Reset Google 2-Step codes", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityRevokeGrants, Action: "google.revoke_grants",
				Title: "Revoke the apps connected to the Google account (OAuth tokens)", Button: "Revoke Google tokens", Priority: offboard.PriorityRevocation},
			{Capability: offboard.LegalHold, Action: "google.hold",
				Title: "Place a Google Vault hold on mail and Drive", Button: "Place Vault hold", Priority: offboard.PriorityReport},
			// Files move only once the person has left: the Data Transfer
			// API takes a suspended owner.
			{Capability: offboard.DataFiles, Action: "google.transfer_files",
				Title: "Transfer Drive and Calendar to the person the manager chose", Button: "Start the transfer",
				Priority: offboard.PriorityReport, When: offboard.WhenAtLastDay},
			// Gmail takes a delegate only for an active mailbox: the
			// account's suspension waits for this when it is ready to run.
			{Capability: offboard.DataMail, Action: "google.mail",
				Title: "Delegate the Gmail mailbox to the person the manager chose", Button: "Delegate the mailbox",
				Priority: offboard.PriorityRevocation, When: offboard.WhenAtLastDay, NeedsActiveAccount: true},
			{Capability: offboard.IdentityDeactivate, Action: "google.deactivate",
				Title: "Remove the Google Workspace licenses", Button: "Remove Google licenses", Priority: offboard.PriorityRevocation},
			{Capability: offboard.IdentityRestore, Action: "google.restore",
				Title: "Unsuspend the Google Workspace account", Button: "Unsuspend in Google", Priority: offboard.PriorityRevocation},
		},
		Actions: ActionIDs(),
	}
	if deleteAfter > 0 {
		d.Bindings = append(d.Bindings, offboard.Binding{Capability: offboard.IdentityDelete, Action: "google.delete",
			Title: "Delete the Google Workspace account (restorable for 20 days)", Button: "Delete in Google",
			Priority: offboard.PriorityRevocation, When: offboard.Duration(deleteAfter).String()})
		d.Actions = append(d.Actions, "google.delete")
	}
	return d
}

// ActionIDs are the connector's action ids in the safe order.
func ActionIDs() []string {
	return []string{"google.suspend", "google.sign_out", "google.reset_mfa", "google.revoke_grants", "google.hold",
		"google.transfer_files", "google.mail", "google.deactivate", "google.restore"}
}

// Register registers the Google Workspace actions and declaration.
func (g *Google) Register(r *connectors.Registry) error {
	actions := map[string]connectors.Action{
		"google.suspend":        connectors.ActionFunc(g.suspend),
		"google.sign_out":       connectors.ActionFunc(g.signOut),
		"google.reset_mfa":      connectors.ActionFunc(g.resetMFA),
		"google.revoke_grants":  connectors.ActionFunc(g.revokeGrants),
		"google.hold":           connectors.ActionFunc(g.hold),
		"google.transfer_files": connectors.ActionFunc(g.transferFiles),
		"google.mail":           connectors.ActionFunc(g.delegateMail),
		"google.deactivate":     connectors.ActionFunc(g.deactivate),
		"google.restore":        connectors.ActionFunc(g.restore),
	}
	if len(actions) != len(ActionIDs()) {
		return fmt.Errorf("google: %d actions for %d ids", len(actions), len(ActionIDs()))
	}
	// Deletion is registered only when configured, so that no playbook
	// can name it otherwise.
	if g.deleteAfter > 0 {
		actions["google.delete"] = connectors.ActionFunc(g.deleteUser)
	}
	return r.RegisterConnector(DeclarationFor(g.deleteAfter), actions)
}

// Google says who can still sign in, for reconciliation.
var _ offboard.IdentityStatusSource = (*Google)(nil)

// IdentityLabel names Google Workspace for people.
func (g *Google) IdentityLabel() string { return Label }

// AccountStatus reads a person's Google account by email: active while
// neither suspended nor archived.
func (g *Google) AccountStatus(ctx context.Context, email string) (offboard.AccountStatus, error) {
	u, err := g.user(ctx, offboard.Target{Email: email})
	if offboard.ErrorCode(err) == offboard.ENOTFOUND {
		return offboard.AccountStatus{}, nil
	}
	if err != nil {
		return offboard.AccountStatus{}, err
	}
	return offboard.AccountStatus{Found: true, Status: accountState(u), Active: !u.Suspended && !u.Archived}, nil
}
