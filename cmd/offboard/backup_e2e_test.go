package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

const adminAPIToken = "adm-token-0123456789abcdef"

// writeBackupConfig is writeConfig with store.backup and an admin token.
func writeBackupConfig(t *testing.T, dir, backup string) string {
	t.Helper()
	path := writeConfig(t, dir, "")
	s := readFile(t, path)
	s = strings.Replace(s, "  lock_timeout: 300ms\n", "  lock_timeout: 300ms\n  backup:\n"+backup, 1)
	s = strings.Replace(s, "  tokens:\n", "  tokens:\n    - name: ops\n      token: \""+adminAPIToken+"\"\n      role: admin\n", 1)
	writeFile(t, path, s)
	return path
}

// openVoluntary opens a case whose revocations wait two weeks, so the
// store does not change under the test.
func openVoluntary(t *testing.T, app *liveApp, email string) offboard.CaseID {
	t.Helper()
	lastDay := time.Now().UTC().AddDate(0, 0, 14).Format("2006-01-02")
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken,
		`{"employee":{"email":"`+email+`","name":"Some One"},"kind":"voluntary","last_day":"`+lastDay+`"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create %s = %d %s", email, r.status, r.body)
	}
	return r.view(t).Case.ID
}

// openCaseIDs lists the open cases through the API.
func openCaseIDs(t *testing.T, app *liveApp) []offboard.CaseID {
	t.Helper()
	r := call(t, "GET", app.url+"/api/v1/cases", hrToken, "")
	if r.status != http.StatusOK {
		t.Fatalf("list = %d %s", r.status, r.body)
	}
	var body struct {
		Cases []struct {
			Case offboard.Case `json:"case"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	var ids []offboard.CaseID
	for _, c := range body.Cases {
		ids = append(ids, c.Case.ID)
	}
	slices.Sort(ids)
	return ids
}

// The restore drill: serve with cases, an on-demand backup through the
// admin API, more cases, restore refused while serve runs, stop, restore,
// and serve again sees exactly the backed-up cases; the chain verifies
// and continues from the backup's head with the restore recorded.
func TestServe_BackupRestoreDrill(t *testing.T) {
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	cfgPath := writeBackupConfig(t, dir, "    dir: "+backups+"\n    keep: 2\n")
	app := startApp(t, cfgPath, wireOptions{})
	first := []offboard.CaseID{openVoluntary(t, app, "anna.a@example.com"), openVoluntary(t, app, "ben.b@example.com")}
	slices.Sort(first)

	if r := call(t, "POST", app.url+"/api/v1/admin/backup", hrToken, ""); r.status != http.StatusForbidden {
		t.Fatalf("backup with the HR token = %d %s, want 403", r.status, r.body)
	}
	var rep offboard.BackupReport
	for range 3 { // three backups, of which keep: 2 stay
		r := call(t, "POST", app.url+"/api/v1/admin/backup", adminAPIToken, "")
		if r.status != http.StatusCreated {
			t.Fatalf("backup = %d %s", r.status, r.body)
		}
		if err := json.Unmarshal(r.body, &rep); err != nil {
			t.Fatal(err)
		}
	}
	if rep.Cases != 2 || rep.SizeBytes == 0 || len(rep.ChainHead) != 64 || !strings.HasPrefix(rep.Name, "offboard-") {
		t.Fatalf("backup report %+v, want 2 cases, a size and a chain head", rep)
	}
	if names, _ := store.ListBackups(backups); len(names) != 2 || names[0] != rep.Name {
		t.Fatalf("backups %v, want 2 (keep), the newest %s", names, rep.Name)
	}
	later := openVoluntary(t, app, "carl.c@example.com")

	// serve holds the store: restore refuses and changes nothing.
	code, out, errOut := runCLI("restore", "--config", cfgPath, "--from", filepath.Join(backups, rep.Name))
	if code != 1 || !strings.Contains(errOut, "locked") || !strings.Contains(errOut, "nothing was changed") {
		t.Fatalf("restore while serving: %d %q %q", code, out, errOut)
	}
	if got := openCaseIDs(t, app); len(got) != 3 {
		t.Fatalf("after the refused restore serve has %v, want 3 cases", got)
	}
	app.stop()

	code, out, errOut = runCLI("restore", "--config", cfgPath, "--from", filepath.Join(backups, rep.Name))
	if code != 0 {
		t.Fatalf("restore: %d %q %q", code, out, errOut)
	}
	for _, want := range []string{"audit chain OK", rep.ChainHead, "cases: 2", "before-restore-", "store.restored"} {
		if !strings.Contains(out, want) {
			t.Errorf("restore output lacks %q:\n%s", want, out)
		}
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "offboard.db.before-restore-*"))
	if len(kept) != 1 {
		t.Fatalf("kept stores %v, want one", kept)
	}

	app = startApp(t, cfgPath, wireOptions{})
	if got := openCaseIDs(t, app); !slices.Equal(got, first) {
		t.Errorf("after the restore serve has %v, want exactly the backed-up %v (not %s)", got, first, later)
	}
	app.stop()

	code, out, errOut = runCLI("audit", "verify", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "audit chain OK") || !strings.Contains(out, "indexes OK") {
		t.Fatalf("audit verify after the restore: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI("audit", "export", "--config", cfgPath)
	if code != 0 {
		t.Fatalf("audit export: %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var head, restored offboard.AuditEvent
	if err := json.Unmarshal([]byte(lines[rep.AuditEvents-1]), &head); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[rep.AuditEvents]), &restored); err != nil {
		t.Fatal(err)
	}
	if head.Hash != rep.ChainHead || restored.Action != "store.restored" || restored.PrevHash != rep.ChainHead {
		t.Errorf("event %d hash %s and next %s (prev %s); want the backup's head %s, then store.restored",
			head.Seq, head.Hash, restored.Action, restored.PrevHash, rep.ChainHead)
	}
	if !strings.Contains(out, `"api.rejected"`) || !strings.Contains(out, `"backup.made"`) {
		t.Error("the chain lacks the refused backup request or the backups made before the backed-up one")
	}
	// The kept store still holds what the backup does not.
	code, out, _ = runCLI("audit", "verify", "--config", cfgPath, "--store", kept[0])
	if code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Errorf("the kept store does not verify: %d %s", code, out)
	}
}

// A restore of a damaged backup is refused before anything changes.
func TestRestore_refusesBadBackup(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	app := startApp(t, cfgPath, wireOptions{})
	openVoluntary(t, app, "anna.a@example.com")
	app.stop()
	before := readFile(t, filepath.Join(dir, "offboard.db"))
	bad := filepath.Join(t.TempDir(), "offboard-20261206T000000Z.db")
	writeFile(t, bad, before[:len(before)/2])
	code, _, errOut := runCLI("restore", "--config", cfgPath, "--from", bad)
	if code != 1 || !strings.Contains(errOut, "nothing was changed") || !strings.Contains(errOut, "corrupt") {
		t.Fatalf("restore of a truncated backup: %d %q", code, errOut)
	}
	if readFile(t, filepath.Join(dir, "offboard.db")) != before {
		t.Error("the store changed")
	}
	if code, _, errOut := runCLI("restore", "--config", cfgPath); code != exitUsage || !strings.Contains(errOut, "--from") {
		t.Errorf("restore without --from: %d %q", code, errOut)
	}
}

// Scheduled backups: one at start (none in the directory yet), then one
// every interval, each checked and audited, keep honoured; a backup that
// cannot be written is logged loudly and audited as failed.
func TestBackups_run(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	audit := db.AuditLog(nil)
	if err := audit.Append(ctx, offboard.AuditEvent{Time: time.Now(), Actor: offboard.System("test"), Action: "test.event", Outcome: offboard.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backups")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	b := newBackups(config.Backup{Dir: dir, Every: offboard.Duration(150 * time.Millisecond), Keep: 2}, config.Audit{}, db, audit, log, offboard.WallClock())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); b.run(runCtx) }()
	made := func() []*offboard.AuditEvent {
		var evs []*offboard.AuditEvent
		_ = db.AuditEvents(ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
			if e.Action == "backup.made" {
				evs = append(evs, e)
			}
			return nil
		})
		return evs
	}
	eventually(t, "three scheduled backups", func() bool { return len(made()) >= 3 })
	stop()
	<-done
	names, err := store.ListBackups(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 {
		t.Errorf("backups %v, want keep: 2", names)
	}
	evs := made()
	last := evs[len(evs)-1]
	if last.Actor.ID != "backup" || last.Evidence["chain_head"] == "" || last.Evidence["size_bytes"] == "" || !slices.Contains(names, last.Target) {
		t.Errorf("last backup.made %+v, want by the backup actor with head and size, naming a kept file", last)
	}

	// A directory that cannot be made: nothing is kept, and it says so.
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := newBackups(config.Backup{Dir: filepath.Join(blocked, "backups"), Keep: 1}, config.Audit{}, db, audit, log, offboard.WallClock())
	if _, err := bad.take(ctx, backupActor); err == nil || offboard.ErrorCode(err) != offboard.EINTERNAL {
		t.Fatalf("backup into an impossible dir = %v, want an internal error", err)
	}
	if !strings.Contains(logs.String(), "BACKUP FAILED") {
		t.Error("the failed backup was not logged loudly")
	}
	var failed []*offboard.AuditEvent
	_ = db.AuditEvents(ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		if e.Action == "backup.failed" {
			failed = append(failed, e)
		}
		return nil
	})
	if len(failed) != 1 || failed[0].Outcome != offboard.OutcomeFailed || !strings.Contains(failed[0].Detail, "copying the store") {
		t.Errorf("backup.failed events %+v, want one saying the copy failed", failed)
	}
}

func TestBackupDoctor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	cfg := config.Backup{Dir: dir, Every: offboard.Duration(time.Hour), Keep: 3}
	if r := backupDoctor(config.Backup{Keep: 3}, time.Now()); r.Status != offboard.CheckSkip || !strings.Contains(r.Detail, "only copy") {
		t.Errorf("no dir: %+v, want skipped, saying the store is the only copy", r)
	}
	if r := backupDoctor(cfg, time.Now()); r.Status != offboard.CheckWarn || !strings.Contains(r.Detail, "no backup") {
		t.Errorf("no backup yet: %+v, want a warning", r)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	newest := filepath.Join(dir, "offboard-20261206T120000Z.db")
	writeFile(t, filepath.Join(dir, "offboard-20261206T060000Z.db"), "x")
	writeFile(t, newest, "x")
	taken := time.Now().Add(-30 * time.Minute)
	if err := os.Chtimes(newest, taken, taken); err != nil {
		t.Fatal(err)
	}
	r := backupDoctor(cfg, time.Now())
	if r.Status != offboard.CheckOK || !strings.Contains(r.Detail, "newest offboard-20261206T120000Z.db, 30m0s old; 2 kept") {
		t.Errorf("fresh: %+v", r)
	}
	r = backupDoctor(cfg, time.Now().Add(3*time.Hour))
	if r.Status != offboard.CheckWarn || !strings.Contains(r.Detail, "not being made") || !strings.Contains(r.Fix, "BACKUP FAILED") {
		t.Errorf("3h30m old with every 1h: %+v, want a warning that scheduled backups are not made", r)
	}
}

// TestServe_BackupAgainstCheckpoints: with signed checkpoints configured,
// a backup counts only when it holds every signed head up to its end; a
// copy whose chain was rewritten is refused by restore, nothing changed;
// restoring an older copy says which signed events it loses and that a
// new checkpoint file must start.
func TestServe_BackupAgainstCheckpoints(t *testing.T) {
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	cfgPath, cpFile, _ := anchoredConfig(t, dir)
	s := readFile(t, cfgPath)
	s = strings.Replace(s, "  lock_timeout: 300ms\n", "  lock_timeout: 300ms\n  backup:\n    dir: "+backups+"\n    keep: 3\n", 1)
	s = strings.Replace(s, "  tokens:\n", "  tokens:\n    - name: ops\n      token: \""+adminAPIToken+"\"\n      role: admin\n", 1)
	writeFile(t, cfgPath, s)

	app := startApp(t, cfgPath, wireOptions{})
	openVoluntary(t, app, "anna.a@example.com")
	app.stop() // a checkpoint at shutdown, and another at the next start
	app = startApp(t, cfgPath, wireOptions{})
	r := call(t, "POST", app.url+"/api/v1/admin/backup", adminAPIToken, "")
	var rep offboard.BackupReport
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &rep) != nil {
		t.Fatalf("backup = %d %s", r.status, r.body)
	}
	if !slices.ContainsFunc(rep.Checks, func(c string) bool {
		return strings.HasPrefix(c, "signed checkpoints: the copy holds every signed head")
	}) {
		t.Fatalf("the backup was not checked against the checkpoints: %q", rep.Checks)
	}
	openVoluntary(t, app, "ben.b@example.com")
	app.stop() // signs a head beyond the backup
	backup := filepath.Join(backups, rep.Name)

	// A copy of the backup with its history rewritten and re-chained.
	forged := filepath.Join(dir, "forged.db")
	copyFile(t, backup, forged)
	if err := storetest.RechainAudit(forged, 2, func(e *offboard.AuditEvent) { e.Detail = "nothing happened here" }); err != nil {
		t.Fatal(err)
	}
	before := fileHashOf(t, filepath.Join(dir, "offboard.db"))
	code, out, errOut := runCLI("restore", "--config", cfgPath, "--from", forged)
	if code != 1 || !strings.Contains(errOut, "disagrees with the signed checkpoints") || !strings.Contains(errOut, "nothing was changed") {
		t.Fatalf("restore of a re-chained copy: %d %q %q", code, out, errOut)
	}
	if fileHashOf(t, filepath.Join(dir, "offboard.db")) != before {
		t.Fatal("the refused restore changed the store")
	}

	code, out, errOut = runCLI("restore", "--config", cfgPath, "--from", backup)
	if code != 0 {
		t.Fatalf("restore: %d %q %q", code, out, errOut)
	}
	cps := checkpointLines(t, cpFile)
	newest := cps[len(cps)-1].Seq
	for _, want := range []string{"signed checkpoints: the copy holds every signed head",
		fmt.Sprintf("signs events up to %d; the backup ended at event %d", newest, rep.AuditEvents), "move that file aside"} {
		if !strings.Contains(out, want) {
			t.Errorf("restore output lacks %q:\n%s", want, out)
		}
	}
}

func fileHashOf(t *testing.T, path string) [32]byte {
	t.Helper()
	return sha256.Sum256([]byte(readFile(t, path)))
}
