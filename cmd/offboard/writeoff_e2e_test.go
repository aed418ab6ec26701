package main

import (
	"html"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/testclock"
)

// TestServe_DeviceWriteOff: through serve with the Microsoft demo (Intune
// lists Jane's laptop when her case opens), a laptop still not received 30 days after access
// went is put to her manager and Finance by the scheduler, once; the
// console shows "write-off asked"; the manager's yes alone leaves it
// waiting, and Finance's makes the return "written off", on IT's card and
// Finance's.
func TestServe_DeviceWriteOff(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := testclock.New(start)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "demo: true\ndemo_flavour: microsoft\nconsole:\n  enabled: true\ndevices:\n  write_off_after: 30d\n")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(data), "roles:\n", "roles:\n  finance: [fiona.finance@example.com]\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	app := startApp(t, cfgPath, wireOptions{clock: clock})
	// Voluntary: Finance sees the case (an involuntary exit is
	// confidential, and Finance does not see those; see the README).
	body := `{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"2026-03-03"}`
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "Jane's devices read", func() bool {
		v = readCase(t, app, "OFF-0001")
		return len(offboard.LatestDevices(v.Tasks)) > 0
	})
	revoke := v.Case.RevokeAt

	clock.Set(revoke.Add(30*24*time.Hour - time.Minute))
	time.Sleep(1500 * time.Millisecond) // a scheduler tick (every 1s) or more
	if a := approvalOf(readCase(t, app, "OFF-0001"), "device_recover", offboard.ApprovalPending); a != nil {
		t.Fatalf("write-off asked a minute early: %+v", a)
	}

	clock.Set(revoke.Add(30 * 24 * time.Hour))
	var a *offboard.Approval
	eventually(t, "the write-off asked", func() bool {
		a = approvalOf(readCase(t, app, "OFF-0001"), "device_recover", offboard.ApprovalPending)
		return a != nil
	})
	if a.Kind != offboard.ApproverManagerFinance || a.Approver != "mona.manager@example.com" || !strings.Contains(a.Question, "value unknown") {
		t.Errorf("write-off approval %+v", a)
	}
	time.Sleep(1500 * time.Millisecond) // more ticks ask nothing more
	asked := 0
	for _, x := range readCase(t, app, "OFF-0001").Approvals {
		if x.Kind == offboard.ApproverManagerFinance {
			asked++
		}
	}
	if asked != 1 {
		t.Fatalf("%d write-off approvals after more ticks, want 1", asked)
	}

	ivan := newConsoleUser(t, app.url, "ivan.it@example.com")
	if _, page := ivan.get("/console/rooms/OFF-0001"); !strings.Contains(html.UnescapeString(page), "write-off asked") {
		t.Errorf("the console room does not say write-off asked:\n%.3000s", page)
	}
	approve := url.Values{"room": {"OFF-0001"},
		"value": {offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", TaskKey: "device_recover", ApprovalID: a.ID}.Encode()}}
	mona := newConsoleUser(t, app.url, "mona.manager@example.com")
	mona.post("/console/click", approve)
	eventually(t, "the manager's yes recorded", func() bool {
		p := approvalOf(readCase(t, app, "OFF-0001"), "device_recover", offboard.ApprovalPending)
		return p != nil && p.Yeses() == 1
	})
	if st := taskByKey(readCase(t, app, "OFF-0001"), "device_recover").Status; st != offboard.TaskWaitingApproval {
		t.Fatalf("after the manager alone the return is %s", st)
	}
	fiona := newConsoleUser(t, app.url, "fiona.finance@example.com")
	if page := html.UnescapeString(fiona.post("/console/click", approve)); !strings.Contains(page, "Device write-off: Lock and recover the laptop") {
		t.Errorf("Finance's card has no write-off line:\n%.3000s", page)
	}
	var task *offboard.Task
	eventually(t, "written off", func() bool {
		task = taskByKey(readCase(t, app, "OFF-0001"), "device_recover")
		return task.Status == offboard.TaskDone
	})
	if got := task.Evidence[offboard.EvidenceWrittenOffBy]; got != "mona.manager@example.com, fiona.finance@example.com" {
		t.Errorf("written off by %q", got)
	}
	if _, page := ivan.get("/console/rooms/OFF-0001"); !strings.Contains(html.UnescapeString(page), "written off by mona.manager@example.com, fiona.finance@example.com (value unknown)") {
		t.Errorf("the console room does not say written off:\n%.3000s", page)
	}
}
