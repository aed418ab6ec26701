package okta_test

import (
	"slices"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta"
)

func TestActionIDs(t *testing.T) {
	want := []string{"okta.suspend", "okta.clear_sessions", "okta.reset_factors", "okta.revoke_grants",
		"okta.remove_groups", "okta.deactivate", "okta.app_report", "okta.restore"}
	ids := okta.ActionIDs()
	if !slices.Equal(ids, want) {
		t.Errorf("ActionIDs() = %v, want %v", ids, want)
	}
	ids[0] = "changed"
	if okta.ActionIDs()[0] != "okta.suspend" {
		t.Error("ActionIDs shares its slice")
	}
}

// The declaration is what the playbook and the cards read: the keys,
// titles and buttons people and configs already know must not move.
func TestDeclaration(t *testing.T) {
	d := okta.Declaration()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Name != "okta" || d.Label != "Okta" {
		t.Errorf("name %q label %q", d.Name, d.Label)
	}
	want := map[offboard.Capability][3]string{
		offboard.IdentitySuspend:       {"okta.suspend", "Suspend the Okta account", "Suspend in Okta"},
		offboard.IdentityClearSessions: {"okta.clear_sessions", "Clear Okta sessions and OAuth tokens", "Clear sessions"},
		offboard.IdentityResetMFA:      {"okta.reset_factors", "Reset MFA factors", "Reset MFA"},
		offboard.IdentityRevokeGrants:  {"okta.revoke_grants", "Revoke OAuth consent grants", "Revoke grants"},
		offboard.IdentityDeactivate:    {"okta.deactivate", "Deactivate the Okta account", "Deactivate in Okta"},
		offboard.LicensesReport:        {"okta.app_report", "Reclaim SaaS licenses", "List apps"},
		offboard.IdentityRestore:       {"okta.restore", "Restore Okta access", "Restore in Okta"},
	}
	for c, w := range want {
		b, ok := d.Binding(c)
		if !ok {
			t.Errorf("%s not bound", c)
			continue
		}
		if got := [3]string{b.Action, b.Title, b.Button}; got != w {
			t.Errorf("%s = %q, want %q", c, got, w)
		}
	}
	if len(d.Bindings) != len(want) {
		t.Errorf("%d bindings, want %d", len(d.Bindings), len(want))
	}
	// Devices, data handover and HR are not Okta's: absent, not faked.
	for _, c := range []offboard.Capability{offboard.DevicesLock, offboard.DataFiles, offboard.HRTerminations} {
		if _, ok := d.Binding(c); ok {
			t.Errorf("%s is bound", c)
		}
	}
}

func TestClient_Register_declares(t *testing.T) {
	e := newEnv(t, nil)
	got := e.reg.Connectors()
	if len(got) != 1 || got[0].Name != "okta" {
		t.Fatalf("Connectors() = %+v, want the okta declaration", got)
	}
	for _, s := range e.reg.Status() {
		if s.Connector == "okta" && !s.Configured {
			t.Errorf("okta registered as not configured: %+v", s)
		}
	}
	// A second registration is refused, not silently doubled.
	if err := e.reg.DeclareConnector(okta.Declaration(), "again"); err == nil {
		t.Error("declaring okta twice: no error")
	}
}
