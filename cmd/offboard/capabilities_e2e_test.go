package main

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// secondIdP is a test-only identity system registered through the
// wiring's hook, as a future connector registers itself.
var secondIdP = offboard.Connector{
	Name: "secondidp", Label: "Second IdP",
	Bindings: []offboard.Binding{
		{Capability: offboard.IdentitySuspend, Action: "secondidp.block", Title: "Block the Second IdP account", Button: "Block in Second IdP"},
		{Capability: offboard.IdentityClearSessions, Action: "secondidp.signout", Title: "Sign out of Second IdP everywhere"},
		{Capability: offboard.IdentityDeactivate, Action: "secondidp.delete", Title: "Delete the Second IdP account"},
	},
	Actions: []string{"secondidp.block", "secondidp.signout", "secondidp.delete"},
}

// TestServe_SecondIdentitySystem: a second identity system registered
// with its declaration gets its tasks in the default playbook, in the
// safe order alongside Okta's, with its own words, and its revocations
// run at once for an involuntary exit; Okta, not configured, still fails
// saying what to configure.
func TestServe_SecondIdentitySystem(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	var mu sync.Mutex
	ran := map[string]string{} // task key → action id
	record := connectors.ActionFunc(func(_ context.Context, req connectors.Request) (connectors.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		ran[req.TaskKey] = req.Action
		return connectors.Result{Verified: true, Summary: "done", Evidence: map[string]string{"status_after": "BLOCKED"}}, nil
	})
	app := startApp(t, cfgPath, wireOptions{actions: func(r *connectors.Registry) error {
		actions := map[string]connectors.Action{}
		for _, id := range secondIdP.Actions {
			actions[id] = record
		}
		return r.RegisterConnector(secondIdP, actions)
	}})

	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	var v offboard.CaseView
	eventually(t, "both systems' revocations to settle", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/"+string(id), hrToken, "").view(t)
		return taskByKey(v, "secondidp_suspend").Status == offboard.TaskDone &&
			taskByKey(v, "secondidp_clear_sessions").Status == offboard.TaskDone &&
			taskByKey(v, "okta_suspend").Status == offboard.TaskFailed
	})
	mu.Lock()
	if ran["secondidp_suspend"] != "secondidp.block" || ran["secondidp_clear_sessions"] != "secondidp.signout" {
		t.Errorf("ran %v", ran)
	}
	if _, early := ran["secondidp_deactivate"]; early {
		t.Error("deactivation ran before the data tasks")
	}
	mu.Unlock()
	if s := taskByKey(v, "okta_suspend"); !strings.Contains(s.LastError, "Okta is not configured") {
		t.Errorf("okta_suspend: %q", s.LastError)
	}
	s := taskByKey(v, "secondidp_suspend")
	if s.Title != "Block the Second IdP account" || s.Button != "Block in Second IdP" {
		t.Errorf("secondidp_suspend: title %q, button %q", s.Title, s.Button)
	}

	// The case's tasks, in playbook order: every suspend, then every
	// system's sessions; deactivations after the data handover. Within a
	// capability, systems go in registration order (the hook's first).
	tasks := slices.Clone(v.Tasks)
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Order < tasks[j].Order })
	var order []string
	for _, tk := range tasks {
		if strings.HasPrefix(tk.Key, "okta_") || strings.HasPrefix(tk.Key, "secondidp_") || tk.Key == "transfer_drive" {
			order = append(order, tk.Key)
		}
	}
	want := []string{"secondidp_suspend", "okta_suspend", "secondidp_clear_sessions", "okta_clear_sessions",
		"okta_reset_mfa", "okta_revoke_grants", "transfer_drive", "secondidp_deactivate", "okta_deactivate"}
	if !slices.Equal(order, want) {
		t.Errorf("task order %v\nwant %v", order, want)
	}
	for _, dep := range []string{"okta_suspend", "secondidp_suspend", "okta_clear_sessions", "secondidp_clear_sessions", "transfer_drive"} {
		if !slices.Contains(taskByKey(v, "okta_deactivate").After, dep) || !slices.Contains(taskByKey(v, "secondidp_deactivate").After, dep) {
			t.Errorf("a deactivation does not wait for %s", dep)
		}
	}
}
