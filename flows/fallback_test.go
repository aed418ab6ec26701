package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
)

// fakeDrive is a test-only system that hands a person's files over once
// they left (its binding's When), as a vendor's transfer does.
var fakeDrive = offboard.Connector{
	Name: "fakedrive", Label: "Fake Drive",
	Bindings: []offboard.Binding{
		{Capability: offboard.DataFiles, Action: "fakedrive.transfer", Title: "Transfer the Fake Drive files", Button: "Transfer now",
			When: offboard.WhenAtLastDay},
	},
	Actions: []string{"fakedrive.transfer"},
}

func withFakeDrive(o *flows.Options) {
	o.Connectors = offboard.Connectors{oktaconn.Declaration(), fakeDrive}
}

// TestResolvePlaybooks_ManualFallback: without a system doing the data
// handover the default playbook keeps today's manual tasks, keys and
// titles; deactivation waits for them.
func TestResolvePlaybooks_ManualFallback(t *testing.T) {
	pbs, err := flows.ResolvePlaybooks(nil, offboard.Connectors{oktaconn.Declaration()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	for key, title := range map[string]string{"transfer_drive": "Transfer Drive ownership", "mail_forwarding": "Set up mail forwarding or delegation"} {
		tk := taskOf(t, p, key)
		if tk.Action != offboard.ActionManual || tk.Title != title || tk.Approval != offboard.ApproverManager ||
			tk.Params["to"] != "{manager_email}" || tk.Due.D() == 0 || tk.Question == "" {
			t.Errorf("%s = %+v, want today's manual task", key, tk)
		}
	}
	if got := taskOf(t, p, "okta_deactivate").After; !slices.Contains(got, "transfer_drive") || !slices.Contains(got, "mail_forwarding") {
		t.Errorf("okta_deactivate after %v, want the manual handover", got)
	}
}

// TestResolvePlaybooks_CapabilityReplacesFallback: with a system doing
// data.files its task replaces transfer_drive (keyed <system>_<verb>,
// the same approval, parameter and question); mail stays manual; the
// deactivation waits for both.
func TestResolvePlaybooks_CapabilityReplacesFallback(t *testing.T) {
	cs := offboard.Connectors{oktaconn.Declaration(), fakeDrive}
	pbs, err := flows.ResolvePlaybooks(nil, cs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	if slices.Contains(keysOf(p), "transfer_drive") {
		t.Errorf("transfer_drive is still there beside the system's task: %v", keysOf(p))
	}
	files := taskOf(t, p, "fakedrive_files")
	if files.Action != "fakedrive.transfer" || files.Title != "Transfer the Fake Drive files" || files.Button != "Transfer now" ||
		files.Approval != offboard.ApproverManager || files.Params["to"] != "{manager_email}" ||
		files.Question != "Transfer {employee}'s Drive files to {to}?" || files.Due.D() == 0 {
		t.Errorf("fakedrive_files = %+v", files)
	}
	if taskOf(t, p, "mail_forwarding").Action != offboard.ActionManual {
		t.Error("mail_forwarding is no longer manual though no system does data.mail")
	}
	if got := taskOf(t, p, "okta_deactivate").After; !slices.Contains(got, "fakedrive_files") || !slices.Contains(got, "mail_forwarding") {
		t.Errorf("okta_deactivate after %v, want fakedrive_files and mail_forwarding", got)
	}
}

// TestResolvePlaybooks_FallbackOverrides: a config override of the manual
// key works while the task is manual (and still counts for the data
// handover in after); once a system took it over it fails at start
// naming the key; removing it removes the system's task.
func TestResolvePlaybooks_FallbackOverrides(t *testing.T) {
	override := []offboard.Playbook{{Name: flows.DefaultPlaybookName, Tasks: []offboard.TaskTemplate{{
		Key: "transfer_drive", Department: offboard.DeptIT, Title: "Move the files to the team drive", Action: offboard.ActionManual,
		When: offboard.WhenOnOpen, Due: offboard.Duration(72 * 3600e9)}}}}

	pbs, err := flows.ResolvePlaybooks(override, offboard.Connectors{oktaconn.Declaration()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	if got := taskOf(t, p, "transfer_drive").Title; got != "Move the files to the team drive" {
		t.Errorf("override title %q", got)
	}
	if got := taskOf(t, p, "okta_deactivate").After; !slices.Contains(got, "transfer_drive") {
		t.Errorf("okta_deactivate after %v: the overridden handover no longer holds deactivation", got)
	}

	_, err = flows.ResolvePlaybooks(override, offboard.Connectors{oktaconn.Declaration(), fakeDrive}, nil, nil)
	if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), `"transfer_drive"`) || !strings.Contains(err.Error(), "fakedrive_files") {
		t.Errorf("override of a replaced fallback: %v, want EINVALID naming transfer_drive and fakedrive_files", err)
	}

	remove := []offboard.Playbook{{Name: "contractor", Extends: flows.DefaultPlaybookName, Remove: []string{"transfer_drive"}}}
	pbs, err = flows.ResolvePlaybooks(remove, offboard.Connectors{oktaconn.Declaration(), fakeDrive}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := pbs["contractor"]
	if slices.Contains(keysOf(c), "fakedrive_files") {
		t.Errorf("remove transfer_drive kept the system's transfer: %v", keysOf(c))
	}
	if got := taskOf(t, c, "okta_deactivate").After; slices.Contains(got, "fakedrive_files") || !slices.Contains(got, "mail_forwarding") {
		t.Errorf("okta_deactivate after %v", got)
	}
	if !slices.Contains(keysOf(pbs[flows.DefaultPlaybookName]), "fakedrive_files") {
		t.Error("removing in contractor removed from default too")
	}
}

func TestResolvePlaybooks_FallbackErrors(t *testing.T) {
	base := offboard.TaskTemplate{Key: "move_files", Capability: offboard.DataFiles, Fallback: offboard.FallbackManual,
		Department: offboard.DeptIT, Title: "Move the files"}
	for name, c := range map[string]struct {
		mutate func(*offboard.TaskTemplate)
		want   string
	}{
		"unknown fallback": {func(t *offboard.TaskTemplate) { t.Fallback = "auto" }, `fallback "auto" is not supported`},
		"no key":           {func(t *offboard.TaskTemplate) { t.Key = "" }, "needs a key of its own"},
		"system key":       {func(t *offboard.TaskTemplate) { t.Key = "{system}_files" }, "needs a key of its own"},
		"no title":         {func(t *offboard.TaskTemplate) { t.Title = "" }, "needs a title"},
		"no capability": {func(t *offboard.TaskTemplate) { t.Capability = ""; t.Action = offboard.ActionManual },
			"fallback needs a capability"},
	} {
		tt := base
		c.mutate(&tt)
		_, err := flows.ResolvePlaybooks([]offboard.Playbook{{Name: "x", Tasks: []offboard.TaskTemplate{tt}}}, offboard.Connectors{oktaconn.Declaration()}, nil, nil)
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want EINVALID saying %q", name, err, c.want)
		}
	}
}

// TestEngine_RequestApproval_capabilityTaskParams: the system's transfer
// task asks the manager with to bound; asking again with another person
// voids the yes, as for the manual task.
func TestEngine_RequestApproval_capabilityTaskParams(t *testing.T) {
	h := newHarness(t, withFakeDrive)
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "fakedrive_files", offboard.ApprovalPending)
	if a.Approver != manager.Email || a.Params["to"] != manager.Email {
		t.Fatalf("approval %+v, want the manager asked about to=%s", a, manager.Email)
	}
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true})
	if st := h.task(c.ID, "fakedrive_files").Status; st != offboard.TaskScheduled {
		t.Fatalf("approved transfer = %s, want scheduled for the last day", st)
	}
	h.apply(offboard.RequestApproval{By: it, CaseID: c.ID, TaskKey: "fakedrive_files", Params: map[string]string{"to": "bob.peer@example.com"}})
	if got := h.approvalFor(c.ID, "fakedrive_files", offboard.ApprovalVoid); got.ID != a.ID {
		t.Errorf("voided %s, want %s", got.ID, a.ID)
	}
	tk := h.task(c.ID, "fakedrive_files")
	if tk.Status != offboard.TaskWaitingApproval || tk.Params["to"] != "bob.peer@example.com" {
		t.Errorf("task = %s to=%s, want waiting for a new yes for bob", tk.Status, tk.Params["to"])
	}
}

// TestEngine_deactivateWaitsForHandover: deactivation waits for the
// system's transfer (with a system) and for the manual fallback (without).
func TestEngine_deactivateWaitsForHandover(t *testing.T) {
	for name, c := range map[string]struct {
		mutate  func(*flows.Options)
		handled string
	}{
		"system":   {withFakeDrive, "fakedrive_files"},
		"fallback": {func(*flows.Options) {}, "transfer_drive"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, c.mutate)
			cs := h.open(offboard.Involuntary, "")
			for h.succeedAll() > 0 {
			}
			deact := h.task(cs.ID, "okta_deactivate")
			if deact.Status != offboard.TaskPending || !slices.Contains(deact.After, c.handled) {
				t.Fatalf("okta_deactivate = %s after %v, want pending on %s", deact.Status, deact.After, c.handled)
			}
			if st := h.task(cs.ID, c.handled).Status; st.Settled() {
				t.Fatalf("%s already %s", c.handled, st)
			}
		})
	}
}

// TestEngine_DecideApproval_blankReceiverRefused: a case that knew no
// manager asks about a handover with no receiver; a yes to it would let
// the task fail for good, so it is refused until Ask again names one.
func TestEngine_DecideApproval_blankReceiverRefused(t *testing.T) {
	h := newHarness(t)
	c := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Name: "Jane Doe", Email: jane.Email}}).Case
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if a.Params["to"] != "" {
		t.Fatalf("approval params %v, want no receiver", a.Params)
	}
	h.refuse(offboard.DecideApproval{By: admin, ApprovalID: a.ID, Approve: true}, offboard.EINVALID, "no receiver yet")
	h.apply(offboard.RequestApproval{By: it, CaseID: c.ID, TaskKey: "transfer_drive", Params: map[string]string{"to": "bob.peer@example.com"}})
	next := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	h.apply(offboard.DecideApproval{By: admin, ApprovalID: next.ID, Approve: true})
	if got := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalApproved); got.ID != next.ID || got.Params["to"] != "bob.peer@example.com" {
		t.Fatalf("approved %+v", got)
	}
}
