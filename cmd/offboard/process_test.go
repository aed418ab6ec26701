package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// TestMain lets the test binary play offboard in a child process, so
// tests can kill it for real.
func TestMain(m *testing.M) {
	serveRunsDoctor = false
	switch os.Getenv("OFFBOARD_TEST_CHILD") {
	case "serve":
		// The real entry point: flags, signals, exit code.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, []string{"serve", "--config", os.Getenv("OFFBOARD_TEST_CONFIG")}, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	case "crash":
		os.Exit(crashChild())
	case "cli":
		os.Exit(cliChild())
	}
	os.Exit(m.Run())
}

// crashChild serves with an okta.suspend that announces itself and then
// hangs, waiting to be killed mid-job.
func crashChild() int {
	dir := os.Getenv("OFFBOARD_TEST_DIR")
	cfg, err := loadConfig(os.Getenv("OFFBOARD_TEST_CONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	db, err := openStore(cfg, discardLogger())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hang := connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		os.WriteFile(filepath.Join(dir, "started"), []byte(req.JobID), 0o600)
		select {} // killed here
	})
	a, err := wire(cfg, discardLogger(), db, wireOptions{actions: func(r *connectors.Registry) error {
		return r.Register("okta.suspend", hang)
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	if err := os.WriteFile(filepath.Join(dir, "addr"), []byte(ln.Addr().String()), 0o600); err != nil {
		return 1
	}
	a.serve(context.Background(), ln)
	return 0
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	var b []byte
	eventually(t, filepath.Base(path), func() bool {
		var err error
		b, err = os.ReadFile(path)
		return err == nil && len(b) > 0
	})
	return string(b)
}

// The crash test: offboard is killed with SIGKILL while a revocation job
// runs. After restart the job runs again under the same id, completes
// exactly once, and the audit chain verifies.
func TestCrash_KilledMidJobCompletesOnceAfterRestart(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "OFFBOARD_TEST_CHILD=crash", "OFFBOARD_TEST_CONFIG="+cfgPath, "OFFBOARD_TEST_DIR="+dir)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			child.Process.Kill()
			child.Wait()
		}
	}()
	url := "http://" + waitFile(t, filepath.Join(dir, "addr"))
	if r := call(t, "POST", url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	jobID := waitFile(t, filepath.Join(dir, "started"))
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed = true

	// Restart with an okta.suspend that works and keeps a ledger.
	var mu sync.Mutex
	var ledger []string
	ok := connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		ledger = append(ledger, req.JobID)
		return connectors.Result{Verified: true, Summary: "suspended", Evidence: map[string]string{"status_after": "SUSPENDED"}}, nil
	})
	app := startApp(t, cfgPath, wireOptions{actions: func(r *connectors.Registry) error { return r.Register("okta.suspend", ok) }})
	var v offboard.CaseView
	eventually(t, "okta_suspend done after restart", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		return taskByKey(v, "okta_suspend").Status == offboard.TaskDone
	})
	// Give a duplicate run, if there were one, time to show up.
	time.Sleep(300 * time.Millisecond)
	app.stop()

	mu.Lock()
	defer mu.Unlock()
	if len(ledger) != 1 || ledger[0] != jobID {
		t.Fatalf("effects after restart: %v, want exactly [%s]", ledger, jobID)
	}
	if ev := taskByKey(v, "okta_suspend").Evidence; ev["job"] != jobID || ev["status_after"] != "SUSPENDED" {
		t.Fatalf("evidence %v", ev)
	}
	counts := map[string]int{}
	code, out, errOut := runCLI("audit", "export", "--config", cfgPath, "--case", "OFF-0001")
	if code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, `"target":"okta_suspend"`) {
			for _, a := range []string{"task.started", "task.done"} {
				if strings.Contains(line, `"action":"`+a+`"`) {
					counts[a]++
				}
			}
		}
	}
	if counts["task.started"] != 1 || counts["task.done"] != 1 {
		t.Fatalf("okta_suspend audit: %v, want one start and one done", counts)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 {
		t.Fatalf("audit verify after crash: %d %s %s", code, out, errOut)
	}
}

// SIGTERM: intake stops, the process exits 0; while it runs, a second
// offboard on the same store fails fast with a clear message.
func TestServe_SIGTERMAndSingleWriter(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "OFFBOARD_TEST_CHILD=serve", "OFFBOARD_TEST_CONFIG="+cfgPath)
	stderr, err := child.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	lines := make(chan string, 100)
	var logText strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logText.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			lines <- sc.Text()
		}
		close(lines)
	}()
	urlRe := regexp.MustCompile(`msg=listening url=(http://\S+)`)
	var url string
	deadline := time.After(15 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("child exited before listening")
			}
			if m := urlRe.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-deadline:
			t.Fatal("child never said where it listens")
		}
	}
	if r := call(t, "GET", url+"/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	// A second process on the same store.
	start := time.Now()
	code, _, errOut := runCLI("cases", "list", "--config", cfgPath)
	if code == 0 || !strings.Contains(errOut, "locked by another offboard process") {
		t.Fatalf("second opener: exit %d %q", code, errOut)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Fatalf("second opener waited %s; lock_timeout is 300ms", waited)
	}
	if r := call(t, "GET", url+"/healthz", "", ""); r.status != 200 {
		t.Fatal("the first instance suffered from the second")
	}

	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range lines { // drain until the child closes stderr
	}
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exit code %d after SIGTERM, want 0", ee.ExitCode())
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15 s of SIGTERM")
	}
	logMu.Lock()
	defer logMu.Unlock()
	for _, want := range []string{"shutting down", "msg=stopped"} {
		if !strings.Contains(logText.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logText.String())
		}
	}
	if strings.Contains(logText.String(), hrToken) {
		t.Fatal("a token appeared in the log")
	}
}

// The tamper test: one changed byte in one stored audit event makes
// `audit verify` fail and name that event.
func TestAuditVerify_TamperNamesEvent(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	app := startApp(t, cfgPath, wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d", r.status)
	}
	eventually(t, "jobs to settle", func() bool {
		v := call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		return taskByKey(v, "okta_suspend").Status == offboard.TaskFailed
	})
	app.stop()
	if code, out, _ := runCLI("audit", "verify", "--config", cfgPath); code != 0 {
		t.Fatalf("untouched chain: %d %s", code, out)
	}

	const victim = 3
	db, err := bolt.Open(filepath.Join(dir, "offboard.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		if b == nil {
			return errors.New("no audit bucket")
		}
		key := binary.BigEndian.AppendUint64(nil, victim)
		v := append([]byte(nil), b.Get(key)...)
		i := strings.Index(string(v), `"outcome":"ok"`)
		if i < 0 {
			return fmt.Errorf("event %d has no ok outcome: %s", victim, v)
		}
		v[i+len(`"outcome":"`)] = 'x' // "ok" → "xk": one byte
		return b.Put(key, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI("audit", "verify", "--config", cfgPath)
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("event %d", victim)) {
		t.Fatalf("tampered chain: exit %d %q, want exit 1 naming event %d", code, errOut, victim)
	}
}
