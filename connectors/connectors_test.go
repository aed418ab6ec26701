package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

func ok(context.Context, connectors.Request) (connectors.Result, error) {
	return connectors.Result{Verified: true, Summary: "ok"}, nil
}

func TestRegistry_Register(t *testing.T) {
	r := connectors.NewRegistry()
	if err := r.Register("okta.suspend", connectors.ActionFunc(ok)); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("okta.suspend", connectors.ActionFunc(ok)); err == nil {
		t.Fatal("registering okta.suspend twice: no error")
	}
	for _, bad := range []string{"", "okta", "Okta.suspend", "okta.", ".suspend", "okta.suspend.now", "okta suspend", "manual.x.y"} {
		if err := r.Register(bad, connectors.ActionFunc(ok)); err == nil {
			t.Errorf("Register(%q): no error", bad)
		}
	}
	if err := r.Register("jamf.lock", nil); err == nil {
		t.Error("Register with a nil action: no error")
	}
	if got, want := r.IDs(), []string{"manual", "okta.suspend"}; !slices.Equal(got, want) {
		t.Errorf("IDs() = %v, want %v", got, want)
	}
}

func TestRegistry_Lookup(t *testing.T) {
	r := connectors.NewRegistry()
	if err := r.Register("okta.suspend", connectors.ActionFunc(ok)); err != nil {
		t.Fatal(err)
	}
	if a, found := r.Lookup("okta.suspend"); !found || a == nil {
		t.Fatal("okta.suspend not found")
	}
	if a, found := r.Lookup("okta.nope"); found || a != nil {
		t.Errorf("Lookup(okta.nope) = %v, %v; want nil, false", a, found)
	}
	if r.Known("okta.nope") || !r.Known("okta.suspend") {
		t.Error("Known disagrees with Lookup")
	}
}

func TestRegistry_RegisterUnconfigured(t *testing.T) {
	const why = "Okta is not configured: set okta.org_url and okta.api_token"
	r := connectors.NewRegistry()
	if err := r.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		t.Fatal(err)
	}
	r.RegisterUnconfigured("okta", oktaIDs, why)
	for _, id := range oktaIDs {
		if !r.Known(id) {
			t.Fatalf("%s not known", id)
		}
		a, _ := r.Lookup(id)
		res, err := a.Run(context.Background(), connectors.Request{Action: id, Attempt: 1})
		if err == nil {
			t.Fatalf("%s: unconfigured action succeeded: %+v", id, res)
		}
		if got := offboard.ErrorMessage(err); got != why {
			t.Errorf("%s: message %q, want %q", id, got, why)
		}
		if code := offboard.ErrorCode(err); code != offboard.EINVALID {
			t.Errorf("%s: code %q, want %q", id, code, offboard.EINVALID)
		}
		if connectors.Retryable(err) {
			t.Errorf("%s: unconfigured error is retryable", id)
		}
	}
	if err := r.Register("okta.suspend", connectors.ActionFunc(ok)); err == nil {
		t.Error("registering okta.suspend over the unconfigured one: no error")
	}

	got := r.Status()
	want := []connectors.ConnectorStatus{
		{Connector: "manual", Configured: true, Actions: []string{"manual"}},
		{Connector: "okta", Configured: false, Why: why, Actions: sorted(oktaIDs)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Status() = %+v\nwant %+v", got, want)
	}
}

func TestRegistry_RegisterUnconfigured_panics(t *testing.T) {
	r := connectors.NewRegistry()
	if err := r.Register("okta.suspend", connectors.ActionFunc(ok)); err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]string{{"okta.suspend"}, {"not an id"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterUnconfigured(%q) did not panic", ids)
				}
			}()
			r.RegisterUnconfigured("okta", ids, "no")
		}()
	}
}

// oktaIDs are the ids an Okta-like connector registers; the registry
// tests need names, not the connector (connectors/okta declares its own).
var oktaIDs = []string{"okta.suspend", "okta.clear_sessions", "okta.reset_factors", "okta.revoke_grants",
	"okta.remove_groups", "okta.deactivate", "okta.app_report", "okta.restore"}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestRetryable(t *testing.T) {
	rl := &offboard.RateLimitError{API: "okta", Reset: time.Now().Add(time.Minute)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("connection reset by peer"), true},
		{"net", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{"eof", io.ErrUnexpectedEOF, true},
		{"deadline", context.DeadlineExceeded, true},
		{"unavailable", offboard.Errorf(offboard.EUNAVAILABLE, "okta answered 503"), true},
		{"internal", offboard.Errorf(offboard.EINTERNAL, "bug"), true},
		{"rate limit", rl, true},
		{"wrapped rate limit", fmt.Errorf("okta: suspend: %w", rl), true},
		{"invalid", offboard.Errorf(offboard.EINVALID, "bad"), false},
		{"not found", offboard.Errorf(offboard.ENOTFOUND, "no user"), false},
		{"forbidden", offboard.Errorf(offboard.EFORBIDDEN, "403"), false},
		{"conflict", offboard.Errorf(offboard.ECONFLICT, "409"), false},
		{"wrapped forbidden", fmt.Errorf("okta: suspend jane: %w", offboard.Errorf(offboard.EFORBIDDEN, "403")), false},
		{"wrapped unavailable", fmt.Errorf("okta: %w", offboard.Errorf(offboard.EUNAVAILABLE, "503")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connectors.Retryable(tt.err); got != tt.want {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestManual(t *testing.T) {
	for attempt := 1; attempt <= 3; attempt++ {
		res, err := connectors.Manual().Run(context.Background(), connectors.Request{
			JobID: "OFF-0001/cancel_card#1", Action: offboard.ActionManual, Attempt: attempt,
		})
		if err == nil {
			t.Fatalf("manual action succeeded: %+v", res)
		}
		if res.Verified || res.AlreadyDone {
			t.Errorf("manual result claims success: %+v", res)
		}
		if offboard.ErrorCode(err) != offboard.EINVALID || connectors.Retryable(err) {
			t.Errorf("manual error %v: code %q, retryable %v; want permanent EINVALID", err, offboard.ErrorCode(err), connectors.Retryable(err))
		}
		if got := offboard.ErrorMessage(err); got != connectors.ManualMessage {
			t.Errorf("message %q", got)
		}
	}
}

func TestValidActionID(t *testing.T) {
	for id, want := range map[string]bool{
		"manual": true, "okta.suspend": true, "google.transfer_drive": true, "jamf2.lock": true,
		"okta": false, "": false, "OKTA.suspend": false, "okta.suspend.x": false, "_x.y": false,
	} {
		if got := connectors.ValidActionID(id); got != want {
			t.Errorf("ValidActionID(%q) = %v, want %v", id, got, want)
		}
	}
	if connectors.ConnectorOf("okta.suspend") != "okta" || connectors.ConnectorOf("manual") != "manual" {
		t.Error("ConnectorOf")
	}
}

func ExampleRegistry() {
	reg := connectors.NewRegistry()
	_ = reg.Register(offboard.ActionManual, connectors.Manual())
	reg.RegisterUnconfigured("okta", oktaIDs, "Okta is not configured: set okta.org_url and okta.api_token")
	for _, s := range reg.Status() {
		if s.Configured {
			fmt.Println(s.Connector, "configured:", s.Actions)
		} else {
			fmt.Println(s.Connector, "not configured:", s.Why)
		}
	}
	// Output:
	// manual configured: [manual]
	// okta not configured: Okta is not configured: set okta.org_url and okta.api_token
}

// fakeIdP is a test-only connector declaration.
var fakeIdP = offboard.Connector{
	Name: "fakeidp", Label: "Fake IdP",
	Bindings: []offboard.Binding{
		{Capability: offboard.IdentitySuspend, Action: "fakeidp.suspend", Title: "Suspend the Fake IdP account"},
	},
	Actions: []string{"fakeidp.suspend", "fakeidp.extra"},
}

func TestRegistry_RegisterConnector(t *testing.T) {
	r := connectors.NewRegistry()
	actions := map[string]connectors.Action{"fakeidp.suspend": connectors.ActionFunc(ok), "fakeidp.extra": connectors.ActionFunc(ok)}
	if err := r.RegisterConnector(fakeIdP, actions); err != nil {
		t.Fatal(err)
	}
	if !r.Declared("fakeidp") || !r.Known("fakeidp.suspend") || !r.Known("fakeidp.extra") {
		t.Fatalf("registered: declared %v, ids %v", r.Declared("fakeidp"), r.IDs())
	}
	if got := r.Connectors(); len(got) != 1 || got[0].Label != "Fake IdP" {
		t.Errorf("Connectors() = %+v", got)
	}
	if err := r.RegisterConnector(fakeIdP, actions); err == nil {
		t.Error("registering the connector twice: no error")
	}

	bad := []struct {
		name    string
		decl    offboard.Connector
		actions map[string]connectors.Action
	}{
		{"missing action", fakeIdP, map[string]connectors.Action{"fakeidp.suspend": connectors.ActionFunc(ok)}},
		{"undeclared action", fakeIdP, map[string]connectors.Action{"fakeidp.suspend": connectors.ActionFunc(ok),
			"fakeidp.extra": connectors.ActionFunc(ok), "fakeidp.other": connectors.ActionFunc(ok)}},
		{"binding to another's action", offboard.Connector{Name: "x", Label: "X", Actions: []string{"x.a"},
			Bindings: []offboard.Binding{{Capability: offboard.IdentitySuspend, Action: "y.a", Title: "t"}}},
			map[string]connectors.Action{"x.a": connectors.ActionFunc(ok)}},
		{"unknown capability", offboard.Connector{Name: "x", Label: "X", Actions: []string{"x.a"},
			Bindings: []offboard.Binding{{Capability: "identity.teleport", Action: "x.a", Title: "t"}}},
			map[string]connectors.Action{"x.a": connectors.ActionFunc(ok)}},
	}
	for _, tt := range bad {
		if err := connectors.NewRegistry().RegisterConnector(tt.decl, tt.actions); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestRegistry_DeclareConnector(t *testing.T) {
	const why = "Fake IdP is not configured: set fakeidp.url"
	r := connectors.NewRegistry()
	// A test's fake registered one action by id; the rest fail saying why.
	if err := r.Register("fakeidp.suspend", connectors.ActionFunc(ok)); err != nil {
		t.Fatal(err)
	}
	if err := r.DeclareConnector(fakeIdP, why); err != nil {
		t.Fatal(err)
	}
	a, _ := r.Lookup("fakeidp.suspend")
	if _, err := a.Run(context.Background(), connectors.Request{}); err != nil {
		t.Errorf("the registered fake was replaced: %v", err)
	}
	a, known := r.Lookup("fakeidp.extra")
	if !known {
		t.Fatal("fakeidp.extra not registered as unconfigured")
	}
	if _, err := a.Run(context.Background(), connectors.Request{}); offboard.ErrorMessage(err) != why || connectors.Retryable(err) {
		t.Errorf("unconfigured action: %v, want the permanent %q", err, why)
	}
	if got := r.Connectors(); len(got) != 1 || got[0].Name != "fakeidp" {
		t.Errorf("Connectors() = %+v", got)
	}
	st := r.Status()
	if len(st) != 1 || st[0].Configured || st[0].Why != why || fmt.Sprint(st[0].Capabilities) != "[identity.suspend]" {
		t.Errorf("Status() = %+v, want fakeidp not configured, implementing identity.suspend", st)
	}
	if err := r.DeclareConnector(offboard.Connector{Name: "Bad Name"}, why); err == nil {
		t.Error("an invalid declaration: no error")
	}
}

// A Result printed or logged by mistake shows its secrets' names, never
// their values.
func TestResult_SecretsNeverPrinted(t *testing.T) {
	res := connectors.Result{Summary: "locked", Secrets: offboard.Secrets{offboard.SecretDevicePIN + "d1": "123456"}}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("done", "result", res, "secrets", res.Secrets)
	for _, s := range []string{fmt.Sprintf("%v", res), fmt.Sprintf("%+v", res), fmt.Sprintf("%#v", res), buf.String()} {
		if strings.Contains(s, "123456") || !strings.Contains(s, "device_pin:d1") {
			t.Fatalf("printed: %s", s)
		}
	}
}
