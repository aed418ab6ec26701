package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
)

// fakeIdP is a test-only second identity system: it suspends, clears
// sessions, deactivates, restores and reports licenses, but cannot reset
// MFA or revoke grants (so those stay Okta's alone).
var fakeIdP = offboard.Connector{
	Name: "fakeidp", Label: "Fake IdP",
	Bindings: []offboard.Binding{
		{Capability: offboard.IdentitySuspend, Action: "fakeidp.suspend", Title: "Suspend the Fake IdP account", Button: "Suspend in Fake IdP"},
		{Capability: offboard.IdentityClearSessions, Action: "fakeidp.signout", Title: "Sign Fake IdP out everywhere"},
		{Capability: offboard.IdentityDeactivate, Action: "fakeidp.delete", Title: "Delete the Fake IdP account"},
		{Capability: offboard.IdentityRestore, Action: "fakeidp.restore", Title: "Restore Fake IdP access", Button: "Restore in Fake IdP"},
		{Capability: offboard.LicensesReport, Action: "fakeidp.licenses", Title: "Reclaim Fake IdP licenses", Priority: offboard.PriorityReport},
	},
	Actions: []string{"fakeidp.suspend", "fakeidp.signout", "fakeidp.delete", "fakeidp.restore", "fakeidp.licenses"},
}

func twoSystems() offboard.Connectors { return offboard.Connectors{oktaconn.Declaration(), fakeIdP} }

func keysOf(p *offboard.Playbook) []string {
	keys := make([]string, len(p.Tasks))
	for i, t := range p.Tasks {
		keys[i] = t.Key
	}
	return keys
}

func taskOf(t *testing.T, p *offboard.Playbook, key string) offboard.TaskTemplate {
	t.Helper()
	i := slices.IndexFunc(p.Tasks, func(x offboard.TaskTemplate) bool { return x.Key == key })
	if i < 0 {
		t.Fatalf("playbook %q has no task %q: %v", p.Name, key, keysOf(p))
	}
	return p.Tasks[i]
}

// capabilityOf is what a resolved task does, read back from its action.
func capabilityOf(cs offboard.Connectors, t offboard.TaskTemplate) offboard.Capability {
	_, c, _ := cs.Owner(t.Action)
	return c
}

// TestResolvePlaybooks_InterleavesSystemsInSafeOrder: with two identity
// systems, every system's suspend comes before any system's sessions,
// and each system's deactivation waits for every system's suspend and
// sessions and for the data handover.
func TestResolvePlaybooks_InterleavesSystemsInSafeOrder(t *testing.T) {
	cs := twoSystems()
	pbs, err := flows.ResolvePlaybooks(nil, cs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	var automated []string
	lastRank := -1
	for _, tt := range p.Tasks {
		c := capabilityOf(cs, tt)
		if c == "" {
			continue
		}
		automated = append(automated, tt.Key)
		if c.Rank() < lastRank {
			t.Errorf("%s (%s) comes after a later capability: %v", tt.Key, c, keysOf(p))
		}
		lastRank = c.Rank()
	}
	want := []string{"okta_suspend", "fakeidp_suspend", "okta_clear_sessions", "fakeidp_clear_sessions",
		"okta_reset_mfa", "okta_revoke_grants", "okta_deactivate", "fakeidp_deactivate",
		"okta_reclaim_licenses", "fakeidp_reclaim_licenses"}
	if !slices.Equal(automated, want) {
		t.Errorf("automated tasks = %v\nwant %v", automated, want)
	}

	s := taskOf(t, p, "fakeidp_suspend")
	if s.Action != "fakeidp.suspend" || s.Title != "Suspend the Fake IdP account" || s.Button != "Suspend in Fake IdP" ||
		s.Priority != offboard.PriorityRevocation || s.Department != offboard.DeptIT || s.When != offboard.WhenAtLastDay {
		t.Errorf("fakeidp_suspend = %+v", s)
	}
	if l := taskOf(t, p, "fakeidp_reclaim_licenses"); l.Department != offboard.DeptFinance || l.Priority != offboard.PriorityReport {
		t.Errorf("fakeidp_reclaim_licenses = %+v", l)
	}
	for _, key := range []string{"okta_deactivate", "fakeidp_deactivate"} {
		after := taskOf(t, p, key).After
		for _, dep := range []string{"okta_suspend", "fakeidp_suspend", "okta_clear_sessions", "fakeidp_clear_sessions",
			"transfer_drive", "mail_forwarding"} {
			if !slices.Contains(after, dep) {
				t.Errorf("%s waits for %v, not for %s", key, after, dep)
			}
		}
		for _, dep := range after {
			if strings.Contains(dep, ".") || strings.HasSuffix(dep, "_deactivate") {
				t.Errorf("%s waits for %q", key, dep)
			}
		}
	}
}

// TestResolvePlaybooks_OneSystemKeepsTheKeys: with Okta alone the
// assembled playbook has the keys, actions and titles configs and people
// already know.
func TestResolvePlaybooks_OneSystemKeepsTheKeys(t *testing.T) {
	pbs, err := flows.ResolvePlaybooks(nil, offboard.Connectors{oktaconn.Declaration()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	for key, want := range map[string][2]string{
		"okta_suspend":        {"okta.suspend", "Suspend the Okta account"},
		"okta_clear_sessions": {"okta.clear_sessions", "Clear Okta sessions and OAuth tokens"},
		"okta_reset_mfa":      {"okta.reset_factors", "Reset MFA factors"},
		"okta_revoke_grants":  {"okta.revoke_grants", "Revoke OAuth consent grants"},
		"okta_deactivate":     {"okta.deactivate", "Deactivate the Okta account"},
		"reclaim_licenses":    {"okta.app_report", "Reclaim SaaS licenses"},
	} {
		if got := taskOf(t, p, key); got.Action != want[0] || got.Title != want[1] {
			t.Errorf("%s = %s %q, want %s %q", key, got.Action, got.Title, want[0], want[1])
		}
	}
	if got := taskOf(t, p, "okta_deactivate").After; !slices.Equal(got[:4], []string{"okta_suspend", "okta_clear_sessions", "transfer_drive", "mail_forwarding"}) {
		t.Errorf("okta_deactivate after %v", got)
	}
}

// TestResolvePlaybooks_NoSystems: a capability nobody implements is
// absent, and nothing waits for it; the manual tasks remain.
func TestResolvePlaybooks_NoSystems(t *testing.T) {
	pbs, err := flows.ResolvePlaybooks(nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	for _, tt := range p.Tasks {
		if tt.Action != offboard.ActionManual {
			t.Errorf("task %s has action %q with no connector", tt.Key, tt.Action)
		}
		for _, dep := range tt.After {
			if strings.Contains(dep, ".") {
				t.Errorf("task %s waits for capability %q", tt.Key, dep)
			}
		}
	}
	taskOf(t, p, "transfer_drive")
}

// TestResolvePlaybooks_ConfiguredOverCapabilities: configs override and
// remove the assembled tasks by key, and may use capabilities themselves.
func TestResolvePlaybooks_ConfiguredOverCapabilities(t *testing.T) {
	cs := twoSystems()
	configured := []offboard.Playbook{
		{Name: "default",
			Tasks:  []offboard.TaskTemplate{{Key: "okta_suspend", Department: offboard.DeptIT, Title: "Suspend now", Action: "okta.suspend", When: "on_open"}},
			Remove: []string{"fakeidp_deactivate"}},
		{Name: "contractor", Tasks: []offboard.TaskTemplate{
			{Capability: offboard.IdentitySuspend, Department: offboard.DeptIT, When: "on_open"},
			{Key: "{system}_end", Capability: offboard.IdentityDeactivate, Department: offboard.DeptIT, After: []string{"identity.suspend"}},
		}},
	}
	pbs, err := flows.ResolvePlaybooks(configured, cs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := pbs["default"]
	if s := taskOf(t, d, "okta_suspend"); s.Title != "Suspend now" || s.When != "on_open" || s.Button != "Suspend in Okta" {
		t.Errorf("overridden okta_suspend = %+v", s)
	}
	if slices.Contains(keysOf(d), "fakeidp_deactivate") {
		t.Errorf("removed task still there: %v", keysOf(d))
	}
	c := pbs["contractor"]
	if got, want := keysOf(c), []string{"okta_suspend", "fakeidp_suspend", "okta_end", "fakeidp_end"}; !slices.Equal(got, want) {
		t.Fatalf("contractor keys = %v, want %v", got, want)
	}
	if got := taskOf(t, c, "fakeidp_end"); got.Action != "fakeidp.delete" || !slices.Equal(got.After, []string{"okta_suspend", "fakeidp_suspend"}) {
		t.Errorf("fakeidp_end = %+v", got)
	}
}

func TestResolvePlaybooks_CapabilityErrors(t *testing.T) {
	tests := []struct {
		name string
		task offboard.TaskTemplate
		want string
	}{
		{"unknown capability", offboard.TaskTemplate{Capability: "identity.teleport", Department: offboard.DeptIT}, `unknown capability "identity.teleport"`},
		{"capability and action", offboard.TaskTemplate{Capability: offboard.IdentitySuspend, Action: "okta.suspend", Department: offboard.DeptIT}, "not both"},
	}
	for _, tt := range tests {
		_, err := flows.ResolvePlaybooks([]offboard.Playbook{{Name: "x", Tasks: []offboard.TaskTemplate{tt.task}}}, twoSystems(), nil, nil)
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(offboard.ErrorMessage(err), tt.want) {
			t.Errorf("%s: %v, want EINVALID mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestEngine_CancelCase_RestoresEachSystem: the restore of a cancelled
// case uses the identity.restore binding of the system whose revocation
// it undoes, with that system's words.
func TestEngine_CancelCase_RestoresEachSystem(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) { o.Connectors = twoSystems() })
	c := h.open(offboard.Involuntary, "")
	var keys []string
	for _, j := range h.actionJobs() {
		keys = append(keys, j.TaskKey)
		h.succeed(j)
	}
	if !slices.Contains(keys, "okta_suspend") || !slices.Contains(keys, "fakeidp_suspend") {
		t.Fatalf("jobs at the revocation point: %v, want both systems' suspend", keys)
	}
	if b := h.task(c.ID, "fakeidp_suspend").Button; b != "Suspend in Fake IdP" {
		t.Errorf("fakeidp_suspend button %q", b)
	}
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "termination rescinded"})
	for key, want := range map[string][3]string{
		"restore_okta":    {"okta.restore", "Restore Okta access", "Restore in Okta"},
		"restore_fakeidp": {"fakeidp.restore", "Restore Fake IdP access", "Restore in Fake IdP"},
	} {
		r := h.task(c.ID, key)
		if got := [3]string{r.Action, r.Title, r.Button}; got != want || !r.Restore {
			t.Errorf("%s = %q (restore %v), want %q", key, got, r.Restore, want)
		}
	}
	n := h.task(c.ID, "restore_fakeidp").Note
	if !strings.Contains(n, "in Fake IdP") || !strings.Contains(n, "Suspend the Fake IdP account") {
		t.Errorf("fakeidp restore note %q", n)
	}
	// What cannot come back is known by capability, whatever the
	// system calls its action (fakeidp.signout clears sessions).
	if !strings.Contains(n, "sessions and OAuth tokens were ended") || strings.Contains(n, "fakeidp.signout") {
		t.Errorf("fakeidp restore note %q does not say the sessions are gone", n)
	}
}

// TestEngine_GetCase_FillsButtonsOfOlderTasks: a task stored before
// tasks carried their binding's words still shows its button's label.
func TestEngine_GetCase_FillsButtonsOfOlderTasks(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	old := h.task(c.ID, "okta_deactivate")
	if old.Button != "Deactivate in Okta" {
		t.Fatalf("new task's button %q", old.Button)
	}
	old.Button = ""
	if err := h.db.Update(h.ctx, func(tx offboard.Tx) error { return tx.PutTask(old) }); err != nil {
		t.Fatal(err)
	}
	v, err := h.engine.GetCase(h.ctx, hr, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range v.Tasks {
		if tk.Key == "okta_deactivate" && tk.Button != "Deactivate in Okta" {
			t.Errorf("older task's button %q, want the binding's", tk.Button)
		}
	}
	// Every read path: by id, by status, by email and by name.
	lists := map[string]func() ([]*offboard.CaseView, error){
		"ListCases":       func() ([]*offboard.CaseView, error) { return h.engine.ListCases(h.ctx, hr, offboard.CaseOpen, 0) },
		"FindCases email": func() ([]*offboard.CaseView, error) { return h.engine.FindCases(h.ctx, hr, jane.Email) },
		"FindCases name":  func() ([]*offboard.CaseView, error) { return h.engine.FindCases(h.ctx, hr, "Jane Doe") },
	}
	for name, list := range lists {
		vs, err := list()
		if err != nil || len(vs) != 1 {
			t.Fatalf("%s: %d views, %v", name, len(vs), err)
		}
		for _, tk := range vs[0].Tasks {
			if tk.Key == "okta_deactivate" && tk.Button != "Deactivate in Okta" {
				t.Errorf("%s: older task's button %q", name, tk.Button)
			}
		}
	}
	if h.task(c.ID, "okta_deactivate").Button != "" {
		t.Error("reading the case wrote the task")
	}
}
