package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/flows/flowstest"
)

// More IT people: a wipe needs two of them.
var (
	tom  = person("tom.it@example.com")
	tina = person("tina.it@example.com")
)

// withDevices registers Okta and the fake MDM, and gives Tom, Tina and
// (to prove the rule beats the role) Jane the IT role.
func withDevices(o *flows.Options) {
	o.Connectors = offboard.Connectors{oktaconn.Declaration(), flowstest.FakeMDM}
	o.Roles = func(email string) []offboard.Role {
		switch email {
		case tom.Email, tina.Email, jane.Email:
			return []offboard.Role{offboard.RoleIT}
		}
		return testRoles(email)
	}
}

// TestResolvePlaybooks_DeviceTasksInSafeOrder: with a device system, the
// default playbook locks after every revocation and before the
// deactivation, and retires and wipes only after the lock and Legal's
// hold review; the wipe asks two of IT.
func TestResolvePlaybooks_DeviceTasksInSafeOrder(t *testing.T) {
	cs := offboard.Connectors{oktaconn.Declaration(), flowstest.FakeMDM}
	pbs, err := flows.ResolvePlaybooks(nil, cs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	var automated []string
	for _, tt := range p.Tasks {
		if c := capabilityOf(cs, tt); c != "" {
			automated = append(automated, tt.Key)
		}
	}
	want := []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants",
		"fakemdm_lock", "fakemdm_retire", "fakemdm_wipe", "fakemdm_devices", "okta_deactivate", "reclaim_licenses"}
	if !slices.Equal(automated, want) {
		t.Fatalf("automated tasks %v, want %v", automated, want)
	}
	lock := taskOf(t, p, "fakemdm_lock")
	if lock.Action != "fakemdm.lock" || lock.Button != "Lock now" || lock.Priority != offboard.PriorityDevice || len(lock.After) != 0 {
		t.Errorf("lock task %+v", lock)
	}
	wipe := taskOf(t, p, "fakemdm_wipe")
	if wipe.Approval != offboard.ApproverITTwo || !slices.Equal(wipe.After, []string{"fakemdm_lock", "legal_hold"}) {
		t.Errorf("wipe approval %q after %v, want it_two after the lock and the hold review", wipe.Approval, wipe.After)
	}
	if _, ok := wipe.Params["device_id"]; !ok {
		t.Errorf("wipe params %v: the device is bound to the approval", wipe.Params)
	}
	// The device list is read when the case opens, by a task that holds
	// nothing open if the MDM is down.
	if read := taskOf(t, p, "fakemdm_devices"); read.Action != "fakemdm.status" || read.When != offboard.WhenOnOpen || !read.Optional {
		t.Errorf("device read %+v, want fakemdm.status on open, optional", read)
	}
	// Without a device system the playbook has no device tasks at all.
	pbs, err = flows.ResolvePlaybooks(nil, offboard.Connectors{oktaconn.Declaration()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(pbs[flows.DefaultPlaybookName].Tasks, func(x offboard.TaskTemplate) bool { return x.Capability.Area() == "devices" }) {
		t.Error("device tasks without a device system")
	}
}

// TestEngine_UnacknowledgedLockEndsUnverified: the MDM sent the lock but
// the laptop never acknowledged it; the task is unverified, due now (so
// escalation chases it) and IT is told, never done.
func TestEngine_UnacknowledgedLockEndsUnverified(t *testing.T) {
	h := newHarness(t, withDevices)
	cs := h.open(offboard.Involuntary, "")
	var lockJob *offboard.Job
	for _, j := range h.actionJobs() {
		if j.TaskKey == "fakemdm_lock" {
			lockJob = j
		}
	}
	if lockJob == nil {
		t.Fatal("an involuntary exit queued no lock")
	}
	snap := offboard.DeviceSnapshot{System: "fakemdm", ReadAt: h.clock.Now(), Devices: []offboard.Device{
		{ID: "d1", Model: "MacBook Air", Serial: "C02AAA", ManagedBy: "fakemdm"}}}
	out := offboard.SettleDeviceActions([]offboard.DeviceAction{{DeviceID: "d1", Action: "lock", State: offboard.DevicePending}})
	out.Evidence[offboard.EvidenceDevices] = snap.Encode()
	h.apply(offboard.ActionSucceeded{By: runner, JobID: lockJob.ID, Verified: out.Verified, Summary: out.Summary, Evidence: out.Evidence})

	got := h.task(cs.ID, "fakemdm_lock")
	if got.Status != offboard.TaskUnverified {
		t.Fatalf("lock status %s, want unverified", got.Status)
	}
	if got.Due == nil || got.Due.After(h.clock.Now()) {
		t.Errorf("unverified lock due %v, want now (escalation chases it)", got.Due)
	}
	if snaps := offboard.LatestDevices([]*offboard.Task{got}); len(snaps) != 1 || snaps[0].Devices[0].Serial != "C02AAA" {
		t.Errorf("device snapshot not kept on the task: %v", got.Evidence)
	}
	notified := false
	for _, j := range h.readyJobs() {
		if j.Kind == offboard.JobNotify && j.Notice != nil && j.Notice.Kind == offboard.NoticeTaskUnverified && j.Notice.TaskKey == "fakemdm_lock" {
			notified = true
		}
	}
	if !notified {
		t.Error("IT was not told the lock is unverified")
	}
	if !slices.Contains(h.auditActions(cs.ID), "task.unverified") {
		t.Error("no task.unverified audit event")
	}
}

// TestDecideApproval_WipeNeedsTwoDistinctIT: the wipe waits for a device
// to be named; then two different people of IT, neither the requester
// nor the person leaving, must approve exactly those parameters.
func TestDecideApproval_WipeNeedsTwoDistinctIT(t *testing.T) {
	h := newHarness(t, withDevices)
	cs := h.open(offboard.Involuntary, "")
	wipe := h.task(cs.ID, "fakemdm_wipe")
	if wipe.Status != offboard.TaskWaitingApproval || wipe.LastError == "" {
		t.Fatalf("wipe %s (%q), want waiting for a device to be named", wipe.Status, wipe.LastError)
	}
	if slices.ContainsFunc(h.approvals(cs.ID), func(a *offboard.Approval) bool { return a.TaskKey == "fakemdm_wipe" }) {
		t.Fatal("an approval was asked for a wipe of no device")
	}
	ask := func(params map[string]string) offboard.RequestApproval {
		return offboard.RequestApproval{By: it, CaseID: cs.ID, TaskKey: "fakemdm_wipe", Params: params}
	}
	h.refuse(ask(nil), offboard.EINVALID, "device_id must be set")
	h.refuse(ask(map[string]string{"device_id": "d1", "keep_user_data": "maybe"}), offboard.EINVALID, "keep_user_data must be true or false")
	h.refuse(offboard.RequestApproval{By: it, CaseID: cs.ID, TaskKey: "fakemdm_wipe", Params: map[string]string{"device_id": "d1"},
		Approver: tom.Email}, offboard.EINVALID, "not by one person named")
	h.apply(ask(map[string]string{"device_id": "d1"}))
	a := h.approvalFor(cs.ID, "fakemdm_wipe", offboard.ApprovalPending)
	if a.Role != offboard.RoleIT || a.Required() != 2 || a.Approver != "" {
		t.Fatalf("approval role %q needs %d approver %q", a.Role, a.Required(), a.Approver)
	}
	yes := func(who offboard.Actor, id string) offboard.DecideApproval {
		return offboard.DecideApproval{By: who, ApprovalID: id, Approve: true}
	}
	h.refuse(yes(it, a.ID), offboard.EFORBIDDEN, "asked for this approval")
	h.refuse(yes(jane, a.ID), offboard.EFORBIDDEN, "person leaving")
	h.refuse(yes(admin, a.ID), offboard.EFORBIDDEN, "it role")
	h.apply(yes(tom, a.ID))
	if a = h.approvalFor(cs.ID, "fakemdm_wipe", offboard.ApprovalPending); a.Yeses() != 1 {
		t.Fatalf("after one yes: %d yeses, status %s", a.Yeses(), a.Status)
	}
	h.refuse(yes(tom, a.ID), offboard.EFORBIDDEN, "already decided")
	h.refuse(offboard.StartTask{By: tina, CaseID: cs.ID, TaskKey: "fakemdm_wipe"}, offboard.ECONFLICT, "1 of 2")

	// A change of parameters voids the half-given approval: both must say
	// yes again, to the new parameters.
	h.apply(ask(map[string]string{"device_id": "d1", "keep_enrollment": "true"}))
	void := 0
	for _, x := range h.approvals(cs.ID) {
		if x.ID == a.ID && x.Status == offboard.ApprovalVoid {
			void++
		}
	}
	if void != 1 {
		t.Fatal("changing the wipe's parameters did not void the approval")
	}
	a = h.approvalFor(cs.ID, "fakemdm_wipe", offboard.ApprovalPending)
	if a.Yeses() != 0 || a.Params["keep_enrollment"] != "true" {
		t.Fatalf("new approval yeses %d params %v", a.Yeses(), a.Params)
	}
	h.apply(yes(tom, a.ID))
	h.apply(yes(tina, a.ID))
	a = h.approvalFor(cs.ID, "fakemdm_wipe", offboard.ApprovalApproved)
	audited := 0
	for _, act := range h.auditActions(cs.ID) {
		if act == "approval.approved" {
			audited++
		}
	}
	if audited != 3 {
		t.Errorf("%d approval.approved events, want one per yes (3)", audited)
	}

	// Approved, the wipe still waits for the lock and Legal's hold
	// review; then it runs by itself with the parameters approved.
	if st := h.task(cs.ID, "fakemdm_wipe").Status; st != offboard.TaskPending {
		t.Fatalf("approved wipe %s before the lock and the hold review, want pending", st)
	}
	h.succeedAll()
	h.apply(offboard.SkipTask{By: legal, CaseID: cs.ID, TaskKey: "legal_hold", Reason: "no hold applies"})
	var job *offboard.Job
	for _, j := range h.actionJobs() {
		if j.TaskKey == "fakemdm_wipe" {
			job = j
		}
	}
	if job == nil || job.Params["device_id"] != "d1" || job.Params["keep_enrollment"] != "true" || job.Params["keep_user_data"] != "false" {
		t.Fatalf("wipe job %+v, want the approved parameters", job)
	}
}

// TestRecordDeviceReturn_Validated: the engine checks a return again
// whatever sent it, and only on a task that tracks one.
func TestRecordDeviceReturn_Validated(t *testing.T) {
	h := newHarness(t)
	cs := h.open(offboard.Involuntary, "")
	rec := func(by offboard.Actor, key string, r offboard.DeviceReturn) offboard.RecordDeviceReturn {
		return offboard.RecordDeviceReturn{By: by, CaseID: cs.ID, TaskKey: key, Return: r}
	}
	today := h.clock.Now().Format("2006-01-02")
	h.refuse(rec(finance, "cancel_card", offboard.DeviceReturn{ShippingRef: "1Z"}), offboard.EINVALID, "does not track a device return")
	h.refuse(rec(finance, "device_recover", offboard.DeviceReturn{ShippingRef: "1Z"}), offboard.EFORBIDDEN, "may not")
	h.refuse(rec(jane, "device_recover", offboard.DeviceReturn{ShippingRef: "1Z"}), offboard.EFORBIDDEN, "person leaving")
	h.refuse(rec(it, "device_recover", offboard.DeviceReturn{ReceivedOn: "2999-01-01"}), offboard.EINVALID, "received_on")
	h.refuse(rec(it, "device_recover", offboard.DeviceReturn{Wiped: true}), offboard.EINVALID, "wiped_by")
	h.refuse(rec(it, "device_recover", offboard.DeviceReturn{Wiped: true, WipedBy: jane.Email}), offboard.EINVALID, "person leaving")
	h.refuse(rec(it, "device_recover", offboard.DeviceReturn{}), offboard.EINVALID, "nothing to record")
	h.apply(rec(it, "device_recover", offboard.DeviceReturn{ReceivedOn: today}))
	if st := h.task(cs.ID, "device_recover").Status; st.Settled() {
		t.Fatalf("received but not wiped: %s, want still open", st)
	}
	h.apply(rec(it, "device_recover", offboard.DeviceReturn{Wiped: true, WipedBy: tom.Email}))
	got := h.task(cs.ID, "device_recover")
	if got.Status != offboard.TaskDone || got.Evidence[offboard.EvidenceReceivedOn] != today || got.Evidence[offboard.EvidenceWipedBy] != tom.Email {
		t.Fatalf("received then wiped: %s %v", got.Status, got.Evidence)
	}
	h.refuse(rec(it, "device_recover", offboard.DeviceReturn{ShippingRef: "late"}), offboard.ECONFLICT, "already done")
}

// TestRecordDeviceReturn_HandedOn: a received device may be handed on to
// someone as it is instead of wiped; that ends the return too, but never
// back to the person leaving, and only once it has arrived.
func TestRecordDeviceReturn_HandedOn(t *testing.T) {
	h := newHarness(t)
	cs := h.open(offboard.Involuntary, "")
	rec := func(r offboard.DeviceReturn) offboard.RecordDeviceReturn {
		return offboard.RecordDeviceReturn{By: it, CaseID: cs.ID, TaskKey: "device_recover", Return: r}
	}
	today := h.clock.Now().Format("2006-01-02")
	h.refuse(rec(offboard.DeviceReturn{ReassignedTo: tom.Email}), offboard.EINVALID, "received first")
	h.refuse(rec(offboard.DeviceReturn{ReceivedOn: today, ReassignedTo: "not an email"}), offboard.EINVALID, "reassigned_to")
	h.refuse(rec(offboard.DeviceReturn{ReceivedOn: today, ReassignedTo: jane.Email}), offboard.EINVALID, "person leaving")
	h.apply(rec(offboard.DeviceReturn{ReceivedOn: today}))
	h.apply(rec(offboard.DeviceReturn{ReassignedTo: " Tom.IT@example.com "}))
	got := h.task(cs.ID, "device_recover")
	if got.Status != offboard.TaskDone || got.Evidence[offboard.EvidenceReassignedTo] != strings.ToLower(tom.Email) || got.Evidence[offboard.EvidenceWipedBy] != "" {
		t.Fatalf("received then handed on: %s %v", got.Status, got.Evidence)
	}
}
