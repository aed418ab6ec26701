package flows_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

const pin = "482913"

// lockWithPIN opens an involuntary case with the fake MDM and reports its
// lock as done with a PIN for device d1, a summary that lets the PIN
// slip, and returns the case.
func lockWithPIN(t *testing.T, h *harness, secrets offboard.Secrets) *offboard.Case {
	t.Helper()
	cs := h.open(offboard.Involuntary, "")
	j := jobOf(t, h, "fakemdm_lock")
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true,
		Summary:  "lock sent to d1 with PIN " + pin,
		Evidence: map[string]string{"d1": "acknowledged", "note": "pin " + pin},
		Secrets:  secrets})
	return cs
}

func jobOf(t *testing.T, h *harness, key string) *offboard.Job {
	t.Helper()
	for _, j := range h.actionJobs() {
		if j.TaskKey == key {
			return j
		}
	}
	t.Fatalf("no queued job for %s", key)
	return nil
}

// auditJSON is the whole audit chain as stored, for searching.
func (h *harness) auditJSON() string {
	h.t.Helper()
	var b strings.Builder
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		raw, err := json.Marshal(e)
		b.Write(raw)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return b.String()
}

// TestEngine_ActionSucceeded_KeepsSecretApart: the PIN a lock hands over
// is kept on the task and nowhere else — not in the audit chain, the
// task's evidence, the case view or its JSON — even when the connector
// let it slip into its summary.
func TestEngine_ActionSucceeded_KeepsSecretApart(t *testing.T) {
	h := newHarness(t, withDevices)
	cs := lockWithPIN(t, h, offboard.Secrets{"device_pin:d1": pin})

	stored := h.task(cs.ID, "fakemdm_lock")
	if stored.Status != offboard.TaskDone || stored.Secrets["device_pin:d1"] != pin {
		t.Fatalf("stored lock %s with secrets %d, want done holding the PIN", stored.Status, len(stored.Secrets))
	}
	if stored.Evidence["secrets"] != "device_pin:d1" {
		t.Errorf("evidence names %q, want the secret's name", stored.Evidence["secrets"])
	}
	for k, v := range stored.Evidence {
		if strings.Contains(k+v, pin) {
			t.Errorf("evidence %s=%q holds the PIN", k, v)
		}
	}
	if chain := h.auditJSON(); strings.Contains(chain, pin) {
		t.Error("the PIN is in the audit chain")
	} else if !strings.Contains(chain, "[secret]") {
		t.Error("the slipped PIN was not blanked in the summary")
	}

	v, err := h.engine.GetCase(h.ctx, it, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	lock := findTaskIn(v.Tasks, "fakemdm_lock")
	if !maps.Equal(lock.Secrets, offboard.Secrets{"device_pin:d1": offboard.SecretSet}) {
		t.Errorf("view's secrets %v, want the name set", map[string]string(lock.Secrets))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), pin) || !strings.Contains(string(raw), `"device_pin:d1":"set"`) {
		t.Errorf("view JSON: PIN present %v, name set present %v", strings.Contains(string(raw), pin), strings.Contains(string(raw), `"set"`))
	}
	// A result of a command carries the name only too.
	res := h.apply(offboard.CompleteTask{By: finance, CaseID: cs.ID, TaskKey: "cancel_card"})
	if l := findTaskIn(res.Tasks, "fakemdm_lock"); l.Secrets["device_pin:d1"] != offboard.SecretSet {
		t.Errorf("result's lock secrets %v", map[string]string(l.Secrets))
	}
}

func findTaskIn(tasks []*offboard.Task, key string) *offboard.Task {
	for _, t := range tasks {
		if t.Key == key {
			return t
		}
	}
	return nil
}

// TestEngine_RevealSecrets_OnlyThoseWhoRunTheTask: IT gets the PIN, and
// the chain says who saw which secret without the value; HR, the
// manager, a stranger and the leaver (even one holding the IT role) are
// refused, each refusal audited.
func TestEngine_RevealSecrets_OnlyThoseWhoRunTheTask(t *testing.T) {
	h := newHarness(t, withDevices)
	cs := lockWithPIN(t, h, offboard.Secrets{"device_pin:d1": pin, "device_pin:d2": "777111"})
	reveal := func(by offboard.Actor) offboard.RevealSecrets {
		return offboard.RevealSecrets{By: by, CaseID: cs.ID, TaskKey: "fakemdm_lock"}
	}
	for _, who := range []offboard.Actor{hr, manager, stranger, jane} {
		before := h.auditCount()
		h.refuse(reveal(who), offboard.EFORBIDDEN, "")
		if last := h.lastAudit(); h.auditCount() != before+1 || last.Action != "command.refused" || last.Target != "fakemdm_lock" {
			t.Errorf("%s: refusal audited as %s on %q", who.Email, last.Action, last.Target)
		}
	}
	res := h.apply(reveal(tom))
	if res.Secrets["device_pin:d1"] != pin || res.Secrets["device_pin:d2"] != "777111" {
		t.Fatalf("IT got %d secrets, want both PINs", len(res.Secrets))
	}
	var viewed []string
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: cs.ID}, func(e *offboard.AuditEvent) error {
		if e.Action == "secret.viewed" {
			if e.Actor.Email != tom.Email || e.Target != "fakemdm_lock" {
				t.Errorf("secret.viewed by %s on %q", e.Actor.Email, e.Target)
			}
			viewed = append(viewed, e.Evidence["secret"])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(viewed, []string{"device_pin:d1", "device_pin:d2"}) {
		t.Errorf("secret.viewed for %v, want each device's PIN", viewed)
	}
	if chain := h.auditJSON(); strings.Contains(chain, pin) || strings.Contains(chain, "777111") {
		t.Error("a revealed PIN is in the audit chain")
	}
	// A task without secrets says so.
	h.refuse(offboard.RevealSecrets{By: tom, CaseID: cs.ID, TaskKey: "okta_suspend"}, offboard.ENOTFOUND, "holds none")
}

// TestEngine_ActionSucceeded_SecretsReplacedByName: a lock still pending
// at the device already holds its PIN; a follow-up that reports none
// keeps it; a retry that locks again replaces it.
func TestEngine_ActionSucceeded_SecretsReplacedByName(t *testing.T) {
	h := newHarness(t, withDevices)
	cs := h.open(offboard.Involuntary, "")
	j := jobOf(t, h, "fakemdm_lock")
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, InProgress: true, Summary: "lock pending at d1",
		Secrets: offboard.Secrets{"device_pin:d1": "111111"}})
	if got := h.task(cs.ID, "fakemdm_lock"); got.Status != offboard.TaskRunning || got.Secrets["device_pin:d1"] != "111111" {
		t.Fatalf("pending lock %s with PIN kept %v", got.Status, got.Secrets["device_pin:d1"] == "111111")
	}
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: false, Summary: "d1 never checked in"})
	if got := h.task(cs.ID, "fakemdm_lock"); got.Status != offboard.TaskUnverified || got.Secrets["device_pin:d1"] != "111111" {
		t.Fatalf("unverified lock %s; PIN kept %v", got.Status, got.Secrets["device_pin:d1"] == "111111")
	}
	h.apply(offboard.StartTask{By: it, CaseID: cs.ID, TaskKey: "fakemdm_lock"})
	h.apply(offboard.ActionSucceeded{By: runner, JobID: jobOf(t, h, "fakemdm_lock").ID, Verified: true,
		Secrets: offboard.Secrets{"device_pin:d1": "222222"}})
	if got := h.task(cs.ID, "fakemdm_lock").Secrets; !maps.Equal(got, offboard.Secrets{"device_pin:d1": "222222"}) {
		t.Errorf("after the second lock the task holds %d secrets, the new PIN %v", len(got), got["device_pin:d1"] == "222222")
	}
}

// TestEngine_ActionSucceeded_RefusesUnusableSecrets: an empty PIN is a
// connector's bug; the result is refused naming the secret, not its value.
func TestEngine_ActionSucceeded_RefusesUnusableSecrets(t *testing.T) {
	h := newHarness(t, withDevices)
	h.open(offboard.Involuntary, "")
	j := jobOf(t, h, "fakemdm_lock")
	h.refuse(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true, Secrets: offboard.Secrets{"device_pin:d1": ""}},
		offboard.EINVALID, "device_pin:d1")
	long := strings.Repeat("9", offboard.MaxSecretValueBytes+1)
	_, err := h.engine.Apply(h.ctx, offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true, Secrets: offboard.Secrets{"device_pin:d1": long}})
	if offboard.ErrorCode(err) != offboard.EINVALID || strings.Contains(err.Error(), long) {
		t.Errorf("a long secret: %v", err)
	}
}

// TestEngine_SettleCase_DropsSecrets: once the case completes, offboard
// no longer keeps the PIN; the chain says it went, and asking for it
// says why there is none.
func TestEngine_SettleCase_DropsSecrets(t *testing.T) {
	h := newHarness(t, withDevices)
	cs := lockWithPIN(t, h, offboard.Secrets{"device_pin:d1": pin})
	for range 3 {
		h.succeedAll()
		v, err := h.engine.GetCase(h.ctx, admin, cs.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range v.Tasks {
			if !tk.Status.Settled() {
				_, _ = h.engine.Apply(h.ctx, offboard.SkipTask{By: admin, CaseID: cs.ID, TaskKey: tk.Key, Reason: "not needed in this test"})
			}
		}
	}
	if st := h.caseOf(cs.ID).Status; st != offboard.CaseCompleted {
		t.Fatalf("case %s, want completed", st)
	}
	if got := h.task(cs.ID, "fakemdm_lock"); len(got.Secrets) != 0 {
		t.Errorf("a completed case still keeps %d secrets", len(got.Secrets))
	}
	if !slices.Contains(h.auditActions(cs.ID), "secret.dropped") {
		t.Error("no secret.dropped audit event")
	}
	h.refuse(offboard.RevealSecrets{By: tom, CaseID: cs.ID, TaskKey: "fakemdm_lock"}, offboard.ENOTFOUND, "completed")
}

// TestEngine_CancelCase_KeepsSecrets: a cancelled case keeps its PINs —
// the person stays, and their locked laptop needs its PIN — and IT can
// still see them, audited.
func TestEngine_CancelCase_KeepsSecrets(t *testing.T) {
	h := newHarness(t, withDevices)
	cs := lockWithPIN(t, h, offboard.Secrets{"device_pin:d1": pin})
	h.apply(offboard.CancelCase{By: hr, CaseID: cs.ID, Reason: "termination rescinded"})
	if st := h.caseOf(cs.ID).Status; st != offboard.CaseCancelled {
		t.Fatalf("case %s, want cancelled", st)
	}
	if res := h.apply(offboard.RevealSecrets{By: tom, CaseID: cs.ID, TaskKey: "fakemdm_lock"}); res.Secrets["device_pin:d1"] != pin {
		t.Errorf("after the cancellation IT got %d secrets", len(res.Secrets))
	}
	h.refuse(offboard.RevealSecrets{By: hr, CaseID: cs.ID, TaskKey: "fakemdm_lock"}, offboard.EFORBIDDEN, "may not run")
}
