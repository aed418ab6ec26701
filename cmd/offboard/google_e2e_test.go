package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
	"github.com/offboard-dev/offboard/internal/testclock"
)

// googleConsoleToken signs the console in as an admin in the Google tests.
const googleConsoleToken = "console-token-google-0123456789"

// A company on Google Workspace alone (no Okta) offboards Jane, who
// resigned: nothing touches her Google account before her last day; at
// the revocation point serve suspends her account and signs her out of
// every Google session in the fake through Google's client libraries,
// each task done with Google's answer as evidence, the case holds no Okta
// task, and the console's card shows both done.
func TestServe_GoogleLastDay(t *testing.T) {
	fake := googletest.New(t)
	// Everyone the case names is in the Workspace before serve starts.
	for _, p := range []struct{ email, given, family string }{
		{"mona.manager@example.com", "Mona", "Manager"}, {"hana.hr@example.com", "Hana", "HR"},
		{"ivan.it@example.com", "Ivan", "IT"}, {"ada.admin@example.com", "Ada", "Admin"},
	} {
		fake.AddUser(googletest.User{PrimaryEmail: p.email, GivenName: p.given, FamilyName: p.family})
	}
	janeID := fake.AddUser(googletest.User{PrimaryEmail: "jane.doe@example.com", GivenName: "Jane", FamilyName: "Doe",
		DriveFiles: 12, CalendarEvents: 3, Manager: "mona.manager@example.com"})

	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := testclock.New(start)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, googleSectionYAML(t, dir, fake)+
		"console:\n  enabled: true\n  token: \""+googleConsoleToken+"\"\n")
	app := startApp(t, cfgPath, wireOptions{clock: clock})
	// Google Workspace is the directory too: names and managers.
	eventually(t, "the directory read from Google Workspace at start", func() bool {
		return app.app.directory.ManagerOf("jane.doe@example.com") == "mona.manager@example.com"
	})
	if got := app.app.directory.NameOf("mona.manager@example.com"); got != "Mona Manager" {
		t.Errorf("Mona's name from Google Workspace = %q", got)
	}

	lastDay := start.AddDate(0, 0, 3)
	body := fmt.Sprintf(`{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":%q}`,
		lastDay.Format(time.DateOnly))
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body)
	if r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	v := r.view(t)
	for _, k := range []string{"google_suspend", "google_clear_sessions"} {
		task := taskByKey(v, k)
		if task == nil || task.Status != offboard.TaskScheduled || task.RunAt == nil {
			t.Fatalf("%s = %+v, want scheduled for the last day", k, task)
		}
		if got := task.RunAt.UTC().Format("2006-01-02 15:04"); got != lastDay.Format(time.DateOnly)+" 18:00" {
			t.Fatalf("%s runs at %s, want the last day's 18:00", k, got)
		}
	}
	for _, task := range v.Tasks {
		if strings.HasPrefix(task.Key, "okta_") || strings.HasPrefix(task.Key, "entra_") {
			t.Errorf("a Google-only company's case has the task %s", task.Key)
		}
	}
	// The workers poll; still nothing but the directory's read reaches
	// Google before the last day.
	time.Sleep(700 * time.Millisecond)
	for _, r := range fake.Requests() {
		if r.Path != "/token" && !(r.Method == "GET" && r.Path == "/admin/directory/v1/users") {
			t.Fatalf("a request reached Google before the last day: %+v", r)
		}
	}

	clock.Set(time.Date(lastDay.Year(), lastDay.Month(), lastDay.Day(), 18, 1, 0, 0, time.UTC))
	due := time.Now()
	eventually(t, "suspended and signed out in Google", func() bool {
		v = readCase(t, app, "OFF-0001")
		for _, k := range []string{"google_suspend", "google_clear_sessions"} {
			if taskByKey(v, k).Status != offboard.TaskDone {
				return false
			}
		}
		return true
	})
	jane, _ := fake.User(janeID)
	t.Logf("revocation time → suspended and signed out in Google: %s wall (the runner polls every 500 ms); %d API and %d token requests",
		jane.SignedOutAt.Sub(due).Round(time.Millisecond), fake.APIRequests(), len(fake.Requests())-fake.APIRequests())
	if !jane.Suspended || jane.SignOuts != 1 {
		t.Fatalf("Jane in Google after the last day: suspended %v, sign-outs %d", jane.Suspended, jane.SignOuts)
	}
	if ev := taskByKey(v, "google_suspend").Evidence; ev["user_id"] != janeID || ev["suspended"] != "true" ||
		ev["primary_email"] != "jane.doe@example.com" {
		t.Errorf("suspend evidence %v", ev)
	}
	if ev := taskByKey(v, "google_clear_sessions").Evidence; !strings.Contains(ev["signed_out"], "users.signOut") {
		t.Errorf("sign-out evidence %v", ev)
	}
	if v.Case.UserIDs["google"] != janeID {
		t.Errorf("case user ids %v, want google → Jane's Directory id", v.Case.UserIDs)
	}
	// The suspension was Google's first write, as the safe order wants; the
	// service account acted as the configured admin.
	for _, req := range fake.Requests() {
		if req.Path == "/token" || req.Method == "GET" {
			continue
		}
		if req.Method != "PUT" || !strings.HasSuffix(req.Path, "/users/"+janeID) && !strings.HasSuffix(req.Path, "/users/jane.doe@example.com") {
			t.Errorf("first write to Google = %s %s, want the suspension", req.Method, req.Path)
		}
		if req.Subject != googletest.Admin {
			t.Errorf("the suspension acted as %q, want %s", req.Subject, googletest.Admin)
		}
		break
	}

	// One request each: the suspension's answer is its read-back, and
	// nothing is sent twice.
	puts, signOuts := 0, 0
	for _, req := range fake.Requests() {
		switch {
		case req.Method == "PUT" && strings.Contains(req.Path, "/admin/directory/v1/users/"):
			puts++
		case req.Method == "POST" && strings.HasSuffix(req.Path, "/signOut"):
			signOuts++
		}
	}
	if puts != 1 || signOuts != 1 {
		t.Errorf("users.update sent %d times, users.signOut %d times; want once each", puts, signOuts)
	}
	// The IT card in the console shows both done, with Google's evidence.
	code, page := getPage(t, app.url+"/console/rooms/OFF-0001", googleConsoleToken)
	if code != 200 {
		t.Fatalf("console room = %d", code)
	}
	_, itCard, found := strings.Cut(page, `aria-label="IT tasks · Jane Doe"`)
	itCard, _, _ = strings.Cut(itCard, "</section>")
	if !found {
		t.Fatalf("no IT card in the room:\n%.2000s", page)
	}
	for _, title := range []string{"Suspend the Google Workspace account", "Sign out of every Google session"} {
		if !strings.Contains(itCard, "<h3>"+title+`</h3><span class="badge tone-good">Done`) {
			t.Errorf("the IT card does not show %q done:\n%s", title, itCard)
		}
	}
	if !strings.Contains(itCard, "Evidence: Google Workspace account suspended") {
		t.Errorf("the IT card lacks the suspension's evidence:\n%s", itCard)
	}
	app.stop()
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify = %d %s %s", code, out, errOut)
	}
}

// The webhook was lost and the company is on Google Workspace alone:
// BambooHR says Jane was dismissed yesterday, her Google account is still
// active. The reconciliation reads her status from Google, opens the
// case, and the runner suspends her account.
func TestServe_ReconcileWithGoogle(t *testing.T) {
	fake := googletest.New(t)
	janeID := fake.AddUser(googletest.User{PrimaryEmail: "jane.doe@example.com", GivenName: "Jane", FamilyName: "Doe"})
	bamboo := bamboohrtest.New(t)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	bamboo.AddEmployee(bamboohrtest.Employee{ID: "4242", Fields: map[string]string{
		"firstName": "Jane", "lastName": "Doe", "workEmail": "jane.doe@example.com", "status": "Inactive",
		"employmentHistoryStatus": "Terminated", "terminationDate": yesterday, "terminationType": "Dismissal",
	}})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, googleSectionYAML(t, dir, fake)+fmt.Sprintf("hris:\n  bamboohr:\n    api_key: %q\n    subdomain: %q\n",
		bamboohrtest.Key, bamboohrtest.Subdomain))
	live := startApp(t, cfgPath, wireOptions{bamboohrBaseURL: bamboo.URL()})
	if live.app.reconciler == nil || live.app.reconcileIdP != "google" {
		t.Fatalf("reconciliation against %q, off because %q", live.app.reconcileIdP, live.app.reconcileOff)
	}
	var v offboard.CaseView
	eventually(t, "suspended in Google", func() bool {
		v = readCase(t, live, "OFF-0001")
		u, _ := fake.User(janeID)
		task := taskByKey(v, "google_suspend")
		return u.Suspended && task != nil && task.Status == offboard.TaskDone
	})
	if v.Case.Source != "reconcile:bamboohr" || !strings.Contains(v.Case.Notes, "Google Workspace") {
		t.Fatalf("case source %q notes %q", v.Case.Source, v.Case.Notes)
	}
}

// The startup log says Google Workspace is on, whom it acts as and that
// it is the identity system; without a google section it says how to turn
// it on. The service account key never reaches the log.
func TestLogStartup_Google(t *testing.T) {
	fake := googletest.New(t)
	dir := t.TempDir()
	var logs bytes.Buffer
	app := startAppLogging(t, writeConfig(t, dir, googleSectionYAML(t, dir, fake)), wireOptions{}, &logs)
	app.app.logStartup() // as serve does after wiring
	app.stop()
	out := logs.String()
	for _, want := range []string{"identity systems on", "systems=google", "Google Workspace on", "admin_email=" + googletest.Admin,
		`connector on" connector=google`, "directory on", "sources=google"} {
		if !strings.Contains(out, want) {
			t.Errorf("the startup log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "connector=okta") {
		t.Errorf("the startup log has the key or an Okta connector:\n%s", out)
	}

	logs.Reset()
	app = startAppLogging(t, writeConfig(t, t.TempDir(), ""), wireOptions{}, &logs)
	app.app.logStartup()
	app.stop()
	if out := logs.String(); !strings.Contains(out, "Google Workspace off") || !strings.Contains(out, "google.service_account_key") {
		t.Errorf("the startup log without Google:\n%s", out)
	}
}

// The google section registers Google Workspace with its deletion only
// when delete_after is set, and no Okta declaration beside it.
func TestNewActions_Google(t *testing.T) {
	fake := googletest.New(t)
	for _, tt := range []struct {
		extra      string
		wantDelete bool
	}{{"", false}, {"  delete_after: 30d\n", true}} {
		dir := t.TempDir()
		cfg, err := loadConfig(writeConfig(t, dir, googleSectionYAML(t, dir, fake)+tt.extra))
		if err != nil {
			t.Fatal(err)
		}
		reg, ids, err := newActionsWithClients(cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ids.google == nil || ids.okta != nil || ids.entra != nil {
			t.Fatalf("identity systems %+v", ids)
		}
		if !reg.Known("google.suspend") || reg.Known("google.delete") != tt.wantDelete {
			t.Errorf("delete_after %q: google.suspend known %v, google.delete known %v", tt.extra, reg.Known("google.suspend"), reg.Known("google.delete"))
		}
		if reg.Declared("okta") {
			t.Error("Okta is declared beside Google alone")
		}
	}
}
