package offboard_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// The safe order across systems: every suspend first, then sessions, MFA,
// grants, the data handover, devices, and deactivation last of the
// changes (it can destroy what the handover must save).
func TestCapabilities_SafeOrder(t *testing.T) {
	order := []offboard.Capability{
		offboard.IdentitySuspend, offboard.IdentityClearSessions, offboard.IdentityResetMFA, offboard.IdentityRevokeGrants,
		// A hold before anything is moved.
		offboard.LegalHold, offboard.DataFiles, offboard.DataMail, offboard.DevicesLock, offboard.DevicesWipe, offboard.IdentityDeactivate,
		// Deletion comes after deactivation, and after everything that
		// changes something.
		offboard.IdentityDelete, offboard.LicensesReclaim, offboard.IdentityRestore,
	}
	for i := 1; i < len(order); i++ {
		if order[i-1].Rank() >= order[i].Rank() {
			t.Errorf("%s (rank %d) is not before %s (rank %d)", order[i-1], order[i-1].Rank(), order[i], order[i].Rank())
		}
	}
	all := offboard.Capabilities()
	if all[0] != offboard.IdentitySuspend {
		t.Errorf("first capability %s, want identity.suspend", all[0])
	}
	seen := map[offboard.Capability]bool{}
	for _, c := range all {
		if seen[c] || !c.Valid() || c.Area() == "" || c.Verb() == "" {
			t.Errorf("capability %q: duplicate %v, valid %v, area %q, verb %q", c, seen[c], c.Valid(), c.Area(), c.Verb())
		}
		seen[c] = true
	}
	all[0] = "changed"
	if offboard.Capabilities()[0] != offboard.IdentitySuspend {
		t.Error("Capabilities shares its slice")
	}
	for _, c := range all {
		if c.WaitsForAll() != (c == offboard.IdentityDelete) {
			t.Errorf("%s waits for all: %t", c, c.WaitsForAll())
		}
	}
	if offboard.Capability("identity.teleport").Valid() || offboard.Capability("").Rank() != -1 {
		t.Error("an unknown capability is valid")
	}
	if c := offboard.IdentityResetMFA; c.Area() != "identity" || c.Verb() != "reset_mfa" {
		t.Errorf("%s: area %q verb %q", c, c.Area(), c.Verb())
	}
}

var idp = offboard.Connector{
	Name: "idp", Label: "The IdP",
	Bindings: []offboard.Binding{
		{Capability: offboard.IdentitySuspend, Action: "idp.suspend", Title: "Suspend"},
		{Capability: offboard.IdentityRestore, Action: "idp.restore", Title: "Restore"},
		{Capability: offboard.IdentityStatus, Action: "idp.status"},
	},
	Actions: []string{"idp.suspend", "idp.restore", "idp.status", "idp.groups"},
}

var mdm = offboard.Connector{
	Name: "mdm", Label: "The MDM",
	Bindings: []offboard.Binding{{Capability: offboard.DevicesLock, Action: "mdm.lock", Title: "Lock"}},
	Actions:  []string{"mdm.lock"},
}

func TestConnector_Validate(t *testing.T) {
	if err := idp.Validate(); err != nil {
		t.Fatalf("valid declaration: %v", err)
	}
	tests := []struct {
		name string
		c    offboard.Connector
		want string
	}{
		{"bad name", offboard.Connector{Name: "The IdP", Label: "x"}, "name"},
		{"no label", offboard.Connector{Name: "x"}, "label is empty"},
		{"foreign action", offboard.Connector{Name: "x", Label: "X", Actions: []string{"y.a"}}, `does not start with "x."`},
		{"unknown capability", offboard.Connector{Name: "x", Label: "X", Actions: []string{"x.a"},
			Bindings: []offboard.Binding{{Capability: "devices.fly", Action: "x.a", Title: "t"}}}, "unknown capability"},
		{"bound twice", offboard.Connector{Name: "x", Label: "X", Actions: []string{"x.a", "x.b"},
			Bindings: []offboard.Binding{{Capability: offboard.DevicesLock, Action: "x.a", Title: "t"}, {Capability: offboard.DevicesLock, Action: "x.b", Title: "t"}}}, "bound twice"},
		{"undeclared action", offboard.Connector{Name: "x", Label: "X",
			Bindings: []offboard.Binding{{Capability: offboard.DevicesLock, Action: "x.a", Title: "t"}}}, "not one of its actions"},
		{"no title", offboard.Connector{Name: "x", Label: "X", Actions: []string{"x.a"},
			Bindings: []offboard.Binding{{Capability: offboard.DevicesLock, Action: "x.a"}}}, "no title"},
		{"bad priority", offboard.Connector{Name: "x", Label: "X", Actions: []string{"x.a"},
			Bindings: []offboard.Binding{{Capability: offboard.DevicesLock, Action: "x.a", Title: "t", Priority: "now"}}}, "priority"},
		{"bad when", offboard.Connector{Name: "x", Label: "X", Actions: []string{"x.a"},
			Bindings: []offboard.Binding{{Capability: offboard.IdentityDelete, Action: "x.a", Title: "t", When: "soon"}}}, `when "soon"`},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(offboard.ErrorMessage(err), tt.want) {
			t.Errorf("%s: %v, want EINVALID mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestConnectors_Owner(t *testing.T) {
	cs := offboard.Connectors{idp, mdm}
	if s, c, ok := cs.Owner("idp.suspend"); !ok || s.Name != "idp" || c != offboard.IdentitySuspend {
		t.Errorf("Owner(idp.suspend) = %s %s %v", s.Name, c, ok)
	}
	if s, c, ok := cs.Owner("idp.groups"); !ok || s.Name != "idp" || c != "" {
		t.Errorf("Owner(idp.groups) = %s %q %v, want idp with no capability", s.Name, c, ok)
	}
	if _, _, ok := cs.Owner("manual"); ok {
		t.Error("manual has an owner")
	}
	if got := cs.Implementing(offboard.DevicesLock); len(got) != 1 || got[0].Name != "mdm" {
		t.Errorf("Implementing(devices.lock) = %+v", got)
	}
	if got := cs.Implementing(offboard.DataMail); len(got) != 0 {
		t.Errorf("Implementing(data.mail) = %+v, want none", got)
	}
	if s, ok := cs.Named("mdm"); !ok || s.Label != "The MDM" {
		t.Errorf("Named(mdm) = %+v %v", s, ok)
	}
}

func TestConnectors_RestoreFor(t *testing.T) {
	cs := offboard.Connectors{idp, mdm}
	if s, b, ok := cs.RestoreFor("idp.suspend"); !ok || s.Label != "The IdP" || b.Action != "idp.restore" {
		t.Errorf("RestoreFor(idp.suspend) = %s %+v %v", s.Name, b, ok)
	}
	// A system without a restore binding cannot restore; nor can nobody.
	for _, action := range []string{"mdm.lock", "other.suspend"} {
		if _, _, ok := cs.RestoreFor(action); ok {
			t.Errorf("RestoreFor(%s) found a restore", action)
		}
	}
}

func TestIrreversible_Delete(t *testing.T) {
	if got := offboard.Irreversible(offboard.IdentityDelete, "entra.delete"); !strings.Contains(got, "deleted") || !strings.Contains(got, "30 days") {
		t.Fatalf("Irreversible(identity.delete) = %q, want the deletion and its restore window named", got)
	}
	if got := offboard.Irreversible(offboard.IdentitySuspend, "x.suspend"); got != "" {
		t.Fatalf("a suspend is undone by a restore, got %q", got)
	}
}
