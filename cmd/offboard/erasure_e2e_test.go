package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/testclock"
)

// TestServe_Erasure: a case closed longer ago than retention.personal_data
// is erased by serve's retention job; the chain verifies with and without
// the checkpoints, the store file holds nothing of Jane, the evidence
// pack says "erased on", the dashboard and the console still draw the
// case, and the CLI refuses what is not due and does nothing twice.
func TestServe_Erasure(t *testing.T) {
	dir := t.TempDir()
	cfgPath, cpFile, pub := anchoredConfig(t, dir)
	const token = "console-token-0123456789"
	appendFile(t, cfgPath, "retention:\n  personal_data: 30d\nconsole:\n  enabled: true\n  token: \""+token+"\"\n")
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	app := startApp(t, cfgPath, wireOptions{clock: clock})

	id := closedJaneCase(t, app, clock, "Jane Doe stays")

	// Not due yet: the job finds nothing.
	ctx := context.Background()
	due, _, err := dueErasures(ctx, app.app.db, 30*24*time.Hour, clock.Now())
	if err != nil || len(due) != 0 {
		t.Fatalf("due right after closing = %v, %v", due, err)
	}
	clock.Advance(31 * 24 * time.Hour)
	app.app.eraseDue(ctx, 30*24*time.Hour, app.app.log)

	v := readCase(t, app, id)
	if v.Case.ErasedAt == nil || !strings.HasPrefix(v.Case.Employee.Name, "erased on ") || v.Case.Employee.Email != "" {
		t.Fatalf("after the retention job: %+v", v.Case.Employee)
	}
	if code, body := getPage(t, app.url+"/cases/"+string(id), token); code != 200 || !strings.Contains(body, "erased on") || strings.Contains(body, "jane") {
		t.Errorf("dashboard case page: %d\n%.400s", code, body)
	}
	if code, body := getPage(t, app.url+"/console/rooms/"+string(id), token); code != 200 || strings.Contains(body, "jane.doe") {
		t.Errorf("console room: %d\n%.400s", code, body)
	}
	if r := call(t, "GET", app.url+"/api/v1/cases?email=jane.doe@example.com", hrToken, ""); r.status != 200 || strings.Contains(string(r.body), string(id)) {
		t.Errorf("a search by the erased email: %d %s", r.status, r.body)
	}
	app.stop()

	dbPath := filepath.Join(dir, "offboard.db")
	raw, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"jane.doe@example.com", "jane doe", "jane"} {
		if bytes.Contains(bytes.ToLower(raw), []byte(s)) {
			t.Errorf("the store file still holds %q", s)
		}
	}
	if code, out, errOut := runCLI("cases", "show", "--config", cfgPath, string(id)); code != 0 || !strings.Contains(out, "erased on") || strings.Contains(out, "<>") || strings.Contains(strings.ToLower(out), "jane") {
		t.Errorf("cases show: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--checkpoints", cpFile, "--public-key", pub); code != 0 {
		t.Fatalf("verify --checkpoints: %d %s %s", code, out, errOut)
	}

	day := clock.Now().AddDate(0, 0, -31)
	pack := filepath.Join(dir, "pack.zip")
	code, out, errOut := runCLI("evidence", "--config", cfgPath, "--from", day.AddDate(0, 0, -1).Format("2006-01-02"),
		"--to", day.AddDate(0, 0, 1).Format("2006-01-02"), "--out", pack)
	if code != 0 {
		t.Fatalf("evidence: %d %s %s", code, out, errOut)
	}
	files := unzip(t, pack)
	page := files["cases/"+string(id)+".html"]
	if !strings.Contains(page, "erased on") || strings.Contains(strings.ToLower(page), "jane") || !strings.Contains(page, "case.opened") {
		t.Errorf("case page of the pack:\n%s", page)
	}
	if idx := files["index.csv"]; !strings.Contains(idx, string(id)) || strings.Contains(strings.ToLower(idx), "jane") {
		t.Errorf("index.csv:\n%s", idx)
	}

	// The CLI: a second erasure does nothing and audits nothing.
	code, out, errOut = runCLI("erase", "--config", cfgPath, "--case", string(id), "--reason", "asked twice")
	if code != 0 || !strings.Contains(out, "already") {
		t.Fatalf("second erase: %d %s %s", code, out, errOut)
	}
	code, out, _ = runCLI("audit", "export", "--config", cfgPath, "--case", string(id))
	if code != 0 || strings.Count(out, `"case.erased"`) != 1 {
		t.Fatalf("case.erased events: %d in\n%s", strings.Count(out, `"case.erased"`), out)
	}
	// Without --reason, or without a case: usage errors.
	if code, _, _ := runCLI("erase", "--config", cfgPath, "--case", string(id)); code != exitUsage {
		t.Errorf("erase without --reason: exit %d", code)
	}
	if code, out, _ := runCLI("erase", "--config", cfgPath, "--dry-run"); code != 0 || !strings.Contains(out, "due for erasure") {
		t.Errorf("dry run: %d %s", code, out)
	}
}

// TestErase_CLINotDue: the CLI refuses a case whose retention has not
// passed, and the refusal is in the chain.
func TestErase_CLINotDue(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "retention:\n  personal_data: 2190d\n")
	app := startApp(t, cfgPath, wireOptions{})
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	if r := call(t, "POST", app.url+"/api/v1/cases/"+string(id)+"/cancel", hrToken, `{"reason":"mistake"}`); r.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	app.stop()
	code, out, errOut := runCLI("erase", "--config", cfgPath, "--case", string(id), "--reason", "asked")
	if code == 0 || !strings.Contains(errOut, "kept until") {
		t.Fatalf("erase before due: %d %s %s", code, out, errOut)
	}
	code, out, _ = runCLI("audit", "export", "--config", cfgPath, "--case", string(id))
	if code != 0 || !strings.Contains(out, "erase_case") || strings.Contains(out, `"case.erased"`) {
		t.Fatalf("audit after a refused erase:\n%s", out)
	}
	if code, out, _ := runCLI("erase", "--config", cfgPath, "--dry-run"); code != 0 || !strings.Contains(out, "due for erasure (closed more than 2190d ago): 0") {
		t.Errorf("dry run: %d %s", code, out)
	}
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// closedJaneCase opens a voluntary case for Jane Doe, her last day two
// weeks after clock's now, and cancels it with reason, so it is closed
// and its retention runs from now.
func closedJaneCase(t *testing.T, app *liveApp, clock *testclock.Clock, reason string) offboard.CaseID {
	t.Helper()
	lastDay := clock.Now().AddDate(0, 0, 14).Format("2006-01-02")
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken,
		`{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"`+lastDay+`"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	if r := call(t, "POST", app.url+"/api/v1/cases/"+string(id)+"/cancel", hrToken, `{"reason":"`+reason+`"}`); r.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	return id
}
