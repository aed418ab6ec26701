package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/evidence"
	"github.com/offboard-dev/offboard/store"
)

var update = flag.Bool("update", false, "rewrite the golden case page")

const (
	pin      = "482913"             // a device lock PIN the pack must never show
	apiToken = "00aBcDeFgHiJkLmNoP" // a configured secret an upstream error echoed
)

var (
	day1 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	it   = offboard.Actor{Kind: offboard.ActorPerson, ID: "ida@example.com", Email: "ida@example.com", Name: "Ida IT"}
)

// fixture writes three leavers through the store, the way the engine
// records them: OFF-0001 involuntary and revoked in 20 minutes; OFF-0002
// voluntary and revoked the day after the last day; OFF-0003 voluntary,
// in time, with a skipped task, a failure and a retry.
func fixture(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	runner := offboard.System("runner")
	err = db.Update(ctx, func(tx offboard.Tx) error {
		source := "slack"
		put := func(kind offboard.DepartureKind, name, lastDay string, notice, revoked time.Time, tasks []*offboard.Task, events []*offboard.AuditEvent) error {
			id, err := tx.NextCaseID()
			if err != nil {
				return err
			}
			c := &offboard.Case{ID: id, Kind: kind, LastDay: lastDay, TimeZone: "UTC", NoticeAt: notice, EffectiveAt: notice,
				RevokedAt: &revoked, Status: offboard.CaseCompleted, Source: source, Requester: it, CreatedAt: notice, UpdatedAt: revoked,
				Employee: offboard.Employee{Name: name, Email: strings.ToLower(strings.Fields(name)[0]) + "@example.com"}}
			if err := tx.PutCase(c); err != nil {
				return err
			}
			for _, tk := range tasks {
				tk.CaseID = id
				if err := tx.PutTask(tk); err != nil {
					return err
				}
			}
			for i, e := range append([]*offboard.AuditEvent{{Action: "case.opened", Actor: it, Outcome: offboard.OutcomeOK, Time: notice}}, events...) {
				e.CaseID = id
				if e.Time.IsZero() {
					e.Time = notice.Add(time.Duration(i) * time.Minute)
				}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		}
		suspend := func(at time.Time, reqID string) *offboard.Task {
			return &offboard.Task{Key: "okta_suspend", Title: "Suspend Okta account", Action: "okta.suspend", Priority: offboard.PriorityRevocation,
				Department: "it", Status: offboard.TaskDone, CompletedBy: "runner", CompletedAt: &at, Attempts: 1,
				Evidence: map[string]string{"status_before": "ACTIVE", "status_after": "SUSPENDED", "okta_request_id": reqID}}
		}
		// 1: involuntary, revoked 20 minutes after notice, a Mac locked.
		n1 := day1
		r1 := n1.Add(20 * time.Minute)
		lock := &offboard.Task{Key: "jamf_lock", Title: "Lock Mac", Action: "jamf.lock", Priority: offboard.PriorityDevice, Department: "it",
			Status: offboard.TaskDone, CompletedBy: "runner", CompletedAt: &r1, Attempts: 1, Evidence: map[string]string{"serial": "C02XK1"},
			Secrets: offboard.Secrets{offboard.SecretDevicePIN: pin}}
		if err := put(offboard.Involuntary, "Mallory Marsh", "2026-11-02", n1, r1, []*offboard.Task{suspend(r1, "req-okta-1"), lock},
			[]*offboard.AuditEvent{{Action: "task.done", Target: "okta_suspend", Actor: runner, Outcome: offboard.OutcomeOK, Time: r1}}); err != nil {
			return err
		}
		// 2: voluntary, last day 2026-11-05, revoked on the 6th at 10:00:
		// reconciliation found them terminated in HR but still active.
		source = "reconcile:bamboohr"
		n2 := day1.Add(24 * time.Hour)
		r2 := time.Date(2026, 11, 6, 10, 0, 0, 0, time.UTC)
		if err := put(offboard.Voluntary, "Victor Vance", "2026-11-05", n2, r2, []*offboard.Task{suspend(r2, "req-okta-2")},
			[]*offboard.AuditEvent{{Action: "task.done", Target: "okta_suspend", Actor: runner, Outcome: offboard.OutcomeOK, Time: r2}}); err != nil {
			return err
		}
		// 3: voluntary, in time, with a skip, a failure and a retry.
		source = "slack"
		n3 := day1.Add(48 * time.Hour)
		r3 := time.Date(2026, 11, 6, 17, 0, 0, 0, time.UTC)
		skipped := &offboard.Task{Key: "slack_deactivate", Title: "Deactivate Slack", Action: "slack.deactivate", Priority: offboard.PriorityRevocation,
			Department: "it", Status: offboard.TaskSkipped, SkipReason: "contractor has no Slack account", CompletedBy: "ida@example.com", CompletedAt: &r3}
		retried := suspend(r3, "req-okta-3")
		retried.Attempts = 2
		if err := put(offboard.Voluntary, "Sally Skipper", "2026-11-06", n3, r3, []*offboard.Task{retried, skipped},
			[]*offboard.AuditEvent{
				{Action: "task.retry", Target: "okta_suspend", Actor: runner, Outcome: offboard.OutcomeRetry, Detail: "Okta answered 429; trying again in 1m"},
				{Action: "task.failed", Target: "okta_suspend", Actor: runner, Outcome: offboard.OutcomeFailed, Detail: "Okta answered 500 Internal Server Error with SSWS " + apiToken},
				{Action: "task.done", Target: "okta_suspend", Actor: runner, Outcome: offboard.OutcomeOK, Time: r3},
				{Action: "task.skipped", Target: "slack_deactivate", Actor: it, Outcome: offboard.OutcomeOK, Detail: "contractor has no Slack account", Time: r3},
			}); err != nil {
			return err
		}
		// Two reconciliation runs: one found Victor, one could not read HR.
		rec := offboard.System("reconcile:bamboohr")
		for _, e := range []*offboard.AuditEvent{
			{Action: offboard.ActionReconcileRan, Actor: rec, Outcome: offboard.OutcomeOK, Time: n2.Add(time.Hour), Detail: "Compared 3 terminations",
				Evidence: map[string]string{"hr": "BambooHR", "identity": "Okta", "terminated": "3", "checked": "3", "still_active": "1", "opened": "1", "flagged": "0", "problems": "0"}},
			{Action: offboard.ActionReconcileRan, Actor: rec, Outcome: offboard.OutcomeFailed, Time: n2.Add(2 * time.Hour), Detail: "Could not read terminations from BambooHR",
				Evidence: map[string]string{"hr": "BambooHR", "identity": "Okta", "terminated": "0", "checked": "0", "still_active": "0", "opened": "0", "flagged": "0", "problems": "0"}},
		} {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// writeCheckpoint signs the chain's head into a checkpoint file.
func writeCheckpoint(t *testing.T, dbPath, cpPath string) offboard.Checkpoint {
	t.Helper()
	db, err := store.Open(dbPath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seq, head, err := db.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A fixed key, so the golden page is stable.
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	cp := offboard.SignCheckpoint(offboard.Checkpoint{Version: offboard.CheckpointVersion, Seq: seq, Head: head, Time: day1.Add(96 * time.Hour),
		KeyID: offboard.CheckpointKeyID(pub)}, key)
	line, err := cp.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cpPath, line, 0o600); err != nil {
		t.Fatal(err)
	}
	return cp
}

func buildPack(t *testing.T, dbPath string, o evidence.Options) map[string]string {
	t.Helper()
	db, err := store.Open(dbPath, store.Options{ReadOnly: true, Check: true, CheckContents: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := evidence.Build(context.Background(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = string(b)
	}
	return files
}

func TestPack_Write(t *testing.T) {
	dir := t.TempDir()
	dbPath, cpPath := filepath.Join(dir, "offboard.db"), filepath.Join(dir, "checkpoints.jsonl")
	fixture(t, dbPath)
	cp := writeCheckpoint(t, dbPath, cpPath)
	before := fileHash(t, dbPath)

	files := buildPack(t, dbPath, evidence.Options{From: day1.Add(-9 * time.Hour), To: day1.Add(30 * 24 * time.Hour), Zone: time.UTC,
		CheckpointFile: cpPath, StorePath: "copy.db", Now: day1.Add(40 * 24 * time.Hour), SLA: offboard.DefaultSLAPolicy(), Redactor: offboard.NewRedactor(apiToken)})

	if fileHash(t, dbPath) != before {
		t.Fatal("building the pack changed the store file")
	}
	for _, name := range []string{"index.csv", "summary.html", "controls.html", "cases/OFF-0001.html", "cases/OFF-0002.html", "cases/OFF-0003.html"} {
		if _, ok := files[name]; !ok {
			t.Fatalf("pack has no %s; it has %d files", name, len(files))
		}
	}
	rows, err := csv.NewReader(strings.NewReader(files["index.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(evidence.IndexHeader, ",") {
		t.Fatalf("index.csv rows = %q", rows)
	}
	col := func(name string) int {
		for i, h := range rows[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	want := []struct{ id, kind, ttr, sla, verdict, systems, exceptions string }{
		{"OFF-0001", "involuntary", "20m", "1h0m0s", "within", "okta", "0"},
		{"OFF-0002", "voluntary", "", "end_of_last_day", "outside", "okta", "0"},
		{"OFF-0003", "voluntary", "", "end_of_last_day", "within", "okta", "3"},
	}
	for i, w := range want {
		r := rows[i+1]
		got := []string{r[col("case_id")], r[col("kind")], r[col("sla")], r[col("sla_verdict")], r[col("systems_revoked")], r[col("exceptions")]}
		exp := []string{w.id, w.kind, w.sla, w.verdict, w.systems, w.exceptions}
		if strings.Join(got, "|") != strings.Join(exp, "|") {
			t.Errorf("index row %d = %q, want %q", i+1, got, exp)
		}
		if w.ttr != "" && r[col("time_to_revocation")] != w.ttr {
			t.Errorf("%s time_to_revocation = %q, want %q", w.id, r[col("time_to_revocation")], w.ttr)
		}
	}
	page := files["cases/OFF-0003.html"]
	for _, s := range []string{"okta_request_id: req-okta-3", "status_after: SUSPENDED", "contractor has no Slack account",
		"Okta answered 500 Internal Server Error", "Okta answered 429", ">retry<", ">failure<", ">skip<", "after 2 attempts",
		cp.Head, "offboard audit verify --store copy.db --checkpoints " + cpPath} {
		if !strings.Contains(page, s) {
			t.Errorf("OFF-0003 page lacks %q", s)
		}
	}
	mac := files["cases/OFF-0001.html"]
	if !strings.Contains(mac, "Lock Mac") || !strings.Contains(mac, offboard.SecretDevicePIN+": set") || !strings.Contains(mac, "Return of assets") {
		t.Error("OFF-0001 page lacks the device, its PIN shown as set, or A.5.11")
	}
	for name, body := range files {
		if strings.Contains(body, pin) || strings.Contains(body, apiToken) {
			t.Errorf("%s holds the lock PIN or the API token", name)
		}
	}
	sum := files["summary.html"]
	for _, s := range []string{"66.7% (2 of 3)", "OFF-0003", `<li><a href="cases/OFF-0002.html">OFF-0002</a> Victor Vance (reconcile:bamboohr): outside</li>`} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %q", s)
		}
	}
	for _, s := range []string{"(BambooHR → Okta) <b>2</b> times", "<b>1</b> of those runs could not read HR", "found 1 people still active (opening 1 cases"} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks the reconciliation runs: %q", s)
		}
	}
	if strings.Contains(sum, "No reconciliation run is recorded") {
		t.Error("summary says reconciliation did not run, with runs in the period")
	}
	ctl := files["controls.html"]
	for _, s := range []string{"Termination procedures", "Access rights", "Responsibilities after termination or change of employment", evidence.TitleNotConfirmed, "8.2.5", "CC6.3"} {
		if !strings.Contains(ctl, s) {
			t.Errorf("controls.html lacks %q", s)
		}
	}

	// One named leaver: only that one, and no reconciliation finding.
	one := buildPack(t, dbPath, evidence.Options{From: day1.Add(-9 * time.Hour), To: day1.Add(30 * 24 * time.Hour), Cases: []offboard.CaseID{"OFF-0001"}, Now: day1})
	if _, ok := one["cases/OFF-0002.html"]; ok || strings.Count(one["index.csv"], "\n") != 2 || !strings.Contains(one["summary.html"], "no case in this period was opened by reconciliation") {
		t.Errorf("pack of OFF-0001 alone: %d files, index %q", len(one), one["index.csv"])
	}

	golden := filepath.Join("testdata", "OFF-0003.html")
	// The checkpoint file is in a temporary directory.
	normal := func(s string) string { return strings.ReplaceAll(s, cpPath, "CHECKPOINTS") }
	if *update {
		if err := os.WriteFile(golden, []byte(normal(page)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if normal(page) != string(g) {
		t.Errorf("OFF-0003 page differs from %s (run with -update after checking the change)", golden)
	}
}

// Summary is the one computation of the summary: its rows are index.csv's
// rows, its figures the summary page's.
func TestPack_Summary(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "offboard.db")
	fixture(t, dbPath)
	o := evidence.Options{From: day1.Add(-9 * time.Hour), To: day1.Add(30 * 24 * time.Hour), Zone: time.UTC, Now: day1.Add(40 * 24 * time.Hour)}
	files := buildPack(t, dbPath, o)
	db, err := store.Open(dbPath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := evidence.Build(context.Background(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Summary()
	if s.Within != 2 || s.Judged != 3 || s.WithinPercent != "66.7% (2 of 3)" || len(s.Exceptions) != 3 || s.Period != "2026-11-02 to 2026-12-02" {
		t.Errorf("summary figures: %d of %d, %q, %d exceptions, period %q", s.Within, s.Judged, s.WithinPercent, len(s.Exceptions), s.Period)
	}
	if len(s.Reconciled) != 1 || s.Reconciled[0].CaseID != "OFF-0002" || s.Reconciled[0].Source != "reconcile:bamboohr" {
		t.Errorf("reconciled: %+v", s.Reconciled)
	}
	rows, err := csv.NewReader(strings.NewReader(files["index.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(s.Rows) {
		t.Fatalf("index.csv has %d rows, the summary %d", len(rows)-1, len(s.Rows))
	}
	for i, r := range s.Rows {
		got := []string{string(r.CaseID), r.Name, string(r.Kind), r.TimeToRevocationText, r.SLA.String(), r.Verdict, strings.Join(r.SystemsRevoked, ";")}
		idx := rows[i+1]
		want := []string{idx[0], idx[1], idx[3], idx[7], idx[8], idx[10], idx[11]}
		if strings.Join(got, "|") != strings.Join(want, "|") || fmt.Sprint(r.Exceptions) != idx[12] {
			t.Errorf("row %d: summary %q, index %q", i, got, want)
		}
	}
	if !strings.Contains(files["summary.html"], s.WithinPercent) || !strings.Contains(files["summary.html"], `<a href="cases/OFF-0002.html">OFF-0002</a> Victor Vance (reconcile:bamboohr): outside`) {
		t.Error("summary.html does not show the summary's figures")
	}
	if evidence.VerdictLabel(evidence.VerdictOutside) != "Outside SLA" || evidence.ExceptionLabel(evidence.ExceptionSkip) != "Skipped" {
		t.Error("labels")
	}
}
