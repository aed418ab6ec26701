package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// integrityStore writes a store at path with a case (its task, job and
// approval) and n audit events spread over cases OFF-0001 … OFF-0040,
// every fifth event without a case.
func integrityStore(t testing.TB, path string, n int) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	err = db.Update(context.Background(), func(tx offboard.Tx) error {
		id, err := tx.NextCaseID()
		if err != nil {
			return err
		}
		c := &offboard.Case{ID: id, Employee: offboard.Employee{Email: "Jane.Doe@example.com", Name: "Jane Doe"},
			Kind: "voluntary", Status: offboard.CaseOpen, NoticeAt: at, RevokeAt: at.Add(8 * time.Hour), CreatedAt: at}
		if err := tx.PutCase(c); err != nil {
			return err
		}
		runAt := at.Add(8 * time.Hour)
		if err := tx.PutTask(&offboard.Task{CaseID: id, Key: "okta_suspend", Action: "okta.suspend",
			Status: offboard.TaskScheduled, RunAt: &runAt}); err != nil {
			return err
		}
		if err := tx.PutJob(&offboard.Job{ID: string(id) + "/okta_suspend#1", Kind: offboard.JobAction, CaseID: id,
			TaskKey: "okta_suspend", Action: "okta.suspend", NotBefore: runAt}); err != nil {
			return err
		}
		apID, err := tx.NextApprovalID(id)
		if err != nil {
			return err
		}
		return tx.PutApproval(&offboard.Approval{ID: apID, CaseID: id, TaskKey: "transfer_drive",
			Approver: "mona.manager@example.com", Question: "Transfer the drive?"})
	})
	if err != nil {
		t.Fatal(err)
	}
	for start := 1; start <= n; start += 100 {
		err := db.Update(context.Background(), func(tx offboard.Tx) error {
			for i := start; i < start+100 && i <= n; i++ {
				e := &offboard.AuditEvent{Time: at.Add(time.Duration(i) * time.Second), Actor: offboard.System("test"),
					Action: "task.done", CaseID: offboard.FormatCaseID(uint64(i%40 + 1)), Target: "okta_suspend",
					Outcome: offboard.OutcomeOK, Detail: fmt.Sprintf("event %d: suspended user %d", i, i)}
				if i%5 == 0 {
					e.CaseID = ""
				}
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
}

func fileSHA(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Read-only commands never create or change a store file.
func TestAuditVerify_ReadOnly(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	integrityStore(t, orig, 300)
	cp := filepath.Join(dir, "copy.db")
	copyFile(t, orig, cp)
	cfgPath := writeConfig(t, dir, "")
	// The configured store is the copy too, for the cases commands.
	copyFile(t, orig, filepath.Join(dir, "offboard.db"))
	want := fileSHA(t, cp)

	for _, args := range [][]string{
		{"audit", "verify", "--store", cp},
		{"audit", "export", "--store", cp, "--format", "csv"},
		{"audit", "export", "--store", cp, "--case", "OFF-0001"},
	} {
		code, _, errOut := runCLI(append(args, "--config", cfgPath)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if fileSHA(t, cp) != want {
			t.Fatalf("%v changed the store file it only reads", args)
		}
	}
	configured := filepath.Join(dir, "offboard.db")
	for _, args := range [][]string{{"cases", "list"}, {"cases", "show", "OFF-0001"}, {"cases", "list", "--email", "jane.doe@example.com"}} {
		code, out, errOut := runCLI(append(args, "--config", cfgPath)...)
		if code != 0 || !strings.Contains(out, "OFF-0001") {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if fileSHA(t, configured) != want {
			t.Fatalf("%v changed the store file it only reads", args)
		}
	}

	t.Run("a missing file is an error and is not created", func(t *testing.T) {
		typo := filepath.Join(dir, "typo.db")
		for _, args := range [][]string{
			{"audit", "verify", "--store", typo},
			{"audit", "export", "--store", typo},
		} {
			code, out, errOut := runCLI(append(args, "--config", cfgPath)...)
			if code == 0 || !strings.Contains(errOut, "no store at "+typo) || strings.Contains(out, "OK") {
				t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
			}
			if _, err := os.Stat(typo); !os.IsNotExist(err) {
				t.Fatalf("%v created %s (stat: %v)", args, typo, err)
			}
		}
		emptyDir := t.TempDir()
		cfg2 := writeConfig(t, emptyDir, "")
		code, _, errOut := runCLI("cases", "list", "--config", cfg2)
		if code == 0 || !strings.Contains(errOut, "no store at") {
			t.Fatalf("cases list without a store: exit %d %s", code, errOut)
		}
		if _, err := os.Stat(filepath.Join(emptyDir, "offboard.db")); !os.IsNotExist(err) {
			t.Fatalf("cases list created the store (stat: %v)", err)
		}
	})
}

// TestAuditVerify_StoreWithoutConfig: "audit verify --store COPY" is what
// serve's restore advice and the README tell an admin or an auditor to
// run, often where no offboard.yaml is. It failed with "config: open
// offboard.yaml: no such file or directory" before reading the copy.
// With --store the config is optional (only its lock timeout is used).
func TestAuditVerify_StoreWithoutConfig(t *testing.T) {
	dir := t.TempDir()
	cp := filepath.Join(dir, "copy.db")
	integrityStore(t, cp, 50)
	t.Setenv("OFFBOARD_CONFIG", filepath.Join(dir, "offboard.yaml")) // not there
	code, out, errOut := runCLI("audit", "verify", "--store", cp)
	if code != 0 || !strings.Contains(out, "audit chain OK: 50 events") {
		t.Fatalf("verify --store without a config: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, _, errOut = runCLI("audit", "export", "--store", cp, "--format", "csv")
	if code != 0 || !strings.Contains(errOut, "exported 50 audit events") {
		t.Fatalf("export --store without a config: exit %d: %s", code, errOut)
	}
	// Without --store the config says where the store is: still required.
	if code, _, errOut = runCLI("audit", "verify"); code == 0 || !strings.Contains(errOut, "offboard.yaml") {
		t.Fatalf("verify without --store or config: exit %d: %s", code, errOut)
	}
}

// A read-only command against a store another process holds (serve) waits
// store.lock_timeout and then says so; it does not hang or read.
func TestAuditVerify_Locked(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	db, err := store.Open(filepath.Join(dir, "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{{"audit", "verify"}, {"audit", "export"}, {"cases", "list"}} {
		start := time.Now()
		code, _, errOut := runCLI(append(args, "--config", cfgPath)...)
		if code != 1 || !strings.Contains(errOut, "locked by another offboard process") {
			t.Fatalf("%v: exit %d %q", args, code, errOut)
		}
		if waited := time.Since(start); waited < 250*time.Millisecond || waited > 10*time.Second {
			t.Fatalf("%v: gave up after %s; want store.lock_timeout (300ms)", args, waited)
		}
	}
}

// rawUpdate changes a closed store file with bbolt directly, as an
// attacker or a bug would.
func rawUpdate(t testing.TB, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// audit verify checks every index against the records or the chain it
// is derived from, and names the index and the case.
func TestAuditVerify_Indexes(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	integrityStore(t, orig, 600)
	cfgPath := writeConfig(t, dir, "")
	seqKey := func(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
	key := func(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }
	cases := []struct {
		name   string
		change func(*bolt.Tx) error
		want   []string
	}{
		{"a case's audit index entries removed", func(btx *bolt.Tx) error {
			b := btx.Bucket([]byte("audit_by_case"))
			var keys [][]byte
			c := b.Cursor()
			prefix := []byte("OFF-0008\x00")
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			if len(keys) < 10 {
				return fmt.Errorf("OFF-0008 has %d events in the index", len(keys))
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}, []string{"audit_by_case", "OFF-0008", "missing"}},
		{"a bogus audit index entry", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("audit_by_case")).Put(append([]byte("OFF-0408\x00"), seqKey(7)...), nil)
		}, []string{"audit_by_case", "OFF-0408", "event 7"}},
		{"an email index entry removed", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("idx_email")).Delete(key("jane.doe@example.com", "OFF-0001"))
		}, []string{"idx_email", "OFF-0001", "missing"}},
		{"a bogus status index entry", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("idx_status")).Put(key("completed", "OFF-0001"), nil)
		}, []string{"idx_status", "OFF-0001", "completed"}},
		{"a due index entry removed", func(btx *bolt.Tx) error {
			b := btx.Bucket([]byte("idx_due"))
			k, _ := b.Cursor().First()
			if k == nil {
				return fmt.Errorf("idx_due is empty")
			}
			return b.Delete(bytes.Clone(k))
		}, []string{"idx_due", "OFF-0001", "okta_suspend"}},
		{"a job queue entry removed", func(btx *bolt.Tx) error {
			b := btx.Bucket([]byte("jobq"))
			k, _ := b.Cursor().First()
			if k == nil {
				return fmt.Errorf("jobq is empty")
			}
			return b.Delete(bytes.Clone(k))
		}, []string{"jobq", "OFF-0001/okta_suspend#1"}},
		{"a bogus jobs-by-case entry", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("jobs_by_case")).Put(key("OFF-0002", "OFF-0002/okta_suspend#1"), nil)
		}, []string{"jobs_by_case", "OFF-0002"}},
		{"an approvals-by-case entry removed", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("approvals_by_case")).Delete(key("OFF-0001", "OFF-0001-A1"))
		}, []string{"approvals_by_case", "OFF-0001", "OFF-0001-A1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tampered.db")
			copyFile(t, orig, path)
			rawUpdate(t, path, tc.change)
			code, out, errOut := runCLI("audit", "verify", "--store", path, "--config", cfgPath)
			if code != 1 {
				t.Fatalf("exit %d; want 1\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	t.Run("an intact store", func(t *testing.T) {
		code, out, errOut := runCLI("audit", "verify", "--store", orig, "--config", cfgPath)
		if code != 0 || !strings.Contains(out, "audit chain OK: 600 events") || !strings.Contains(out, "indexes OK") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
	})
}

// runChild runs the real entry point with args in a child process (the
// test binary, see TestMain), so a crash of the store library is seen as
// a crash instead of taking the test down.
func runChild(t testing.TB, timeout time.Duration, args ...string) (code int, stdout, stderr string, timedOut bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	enc, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), "OFFBOARD_TEST_CHILD=cli", "OFFBOARD_TEST_ARGS="+string(enc))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		return -1, out.String(), errb.String(), true
	}
	code = cmd.ProcessState.ExitCode()
	if err != nil && code == 0 {
		t.Fatal(err)
	}
	return code, out.String(), errb.String(), false
}

// cliChild runs the command line in OFFBOARD_TEST_ARGS (JSON) like main.
func cliChild() int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("OFFBOARD_TEST_ARGS")), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 99
	}
	return run(context.Background(), args, os.Stdout, os.Stderr)
}

// logicalDump hashes every bucket, sequence, key and value of a store
// file; faults and panics of the library are errors.
func logicalDump(path string) (sum [32]byte, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reading the file panicked: %v", r)
		}
	}()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second, PreLoadFreelist: true})
	if err != nil {
		return sum, err
	}
	defer bdb.Close()
	h := sha256.New()
	var walk func(b *bolt.Bucket)
	walk = func(b *bolt.Bucket) {
		fmt.Fprintf(h, "seq %d\n", b.Sequence())
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			fmt.Fprintf(h, "%q=%q\n", k, v)
			if v == nil {
				if child := b.Bucket(k); child != nil {
					walk(child)
				}
			}
		}
	}
	err = bdb.View(func(btx *bolt.Tx) error {
		return btx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fmt.Fprintf(h, "bucket %q\n", name)
			walk(b)
			return nil
		})
	})
	copy(sum[:], h.Sum(nil))
	return sum, err
}

// TestAuditVerify_CorruptStore flips single bytes of a store file and runs
// the real audit verify on each copy in a child process. Every flip must
// be reported as a corrupt file, as tampering (a broken chain or index),
// or be proven harmless: verify passes and the logical contents are
// exactly the original's (the byte was in free or unused space). A crash,
// a hang or a pass over changed contents fails the test.
func TestAuditVerify_CorruptStore(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	integrityStore(t, orig, 3000)
	cfgPath := writeConfig(t, dir, "")
	want, err := logicalDump(orig)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	const flips = 150
	rng := rand.New(rand.NewPCG(12, 2026))
	type flip struct {
		off int
		xor byte
	}
	plan := make([]flip, flips)
	for i := range plan {
		plan[i] = flip{rng.IntN(len(file)), byte(1 + rng.IntN(255))}
	}
	var mu sync.Mutex
	counts := map[string]int{}
	check := func(i int, f flip) {
		bad := bytes.Clone(file)
		bad[f.off] ^= f.xor
		path := filepath.Join(dir, fmt.Sprintf("flip%03d.db", i))
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Error(err)
			return
		}
		defer os.Remove(path)
		code, out, errOut, timedOut := runChild(t, 30*time.Second, "audit", "verify", "--store", path, "--config", cfgPath)
		what := fmt.Sprintf("flip %d (byte %d of %d, page %d, xor %#02x)", i, f.off, len(file), f.off/4096, f.xor)
		var kind string
		switch {
		case timedOut:
			kind = "crash"
			t.Errorf("%s: verify hung", what)
		case code == 1 && strings.Contains(errOut, "store file is corrupt"):
			kind = "corrupt"
		case code == 1 && (strings.Contains(errOut, "audit chain BROKEN at event") || strings.Contains(errOut, "indexes BROKEN")):
			kind = "tampered"
		case code == 0:
			got, err := logicalDump(path)
			if err != nil || got != want {
				kind = "undetected"
				t.Errorf("%s: verify passed but the contents changed (%v)\n%s", what, err, out)
			} else {
				kind = "harmless"
			}
		default:
			kind = "crash"
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %.2000s", what, code, out, errOut)
		}
		mu.Lock()
		if counts[kind]++; counts[kind] == 1 {
			t.Logf("first %s: %s: %.400s%.400s", kind, what, out, errOut)
		}
		mu.Unlock()
		if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, bad) {
			t.Errorf("%s: verify changed the file it checked", what)
		}
	}
	// Each flip is checked by a child process (a crash must not take the
	// test down); two at a time, one per core of a small CI machine.
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Go(func() {
			for i := range next {
				check(i, plan[i])
			}
		})
	}
	for i := range plan {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d single-byte flips of a %d-byte store with 3000 audit events: corrupt %d, tampered %d, harmless %d, undetected %d, crash %d",
		flips, len(file), counts["corrupt"], counts["tampered"], counts["harmless"], counts["undetected"], counts["crash"])
}

// serve refuses a corrupt store, says so and how to restore it.
func TestServe_CorruptStore(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	path := filepath.Join(dir, "offboard.db")
	integrityStore(t, path, 2000)
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Find a leaf page of the audit bucket and wipe its header.
	var leaf int
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	pageSize := bdb.Info().PageSize
	bdb.View(func(btx *bolt.Tx) error {
		for id := 2; leaf == 0; id++ {
			info, err := btx.Page(id)
			if err != nil || info == nil {
				break
			}
			if info.Type == "leaf" {
				leaf = id
			}
		}
		return nil
	})
	bdb.Close()
	if leaf == 0 {
		t.Fatal("no leaf page found")
	}
	for name, corrupt := range map[string][]byte{
		"a wiped page":        append(append(bytes.Clone(file[:leaf*pageSize]), make([]byte, 16)...), file[leaf*pageSize+16:]...),
		"a truncated file":    bytes.Clone(file[:len(file)/2]),
		"a damaged meta page": func() []byte { b := bytes.Clone(file); b[pageSize+40] ^= 0x10; return b }(),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, corrupt, 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut, timedOut := runChild(t, 15*time.Second, "serve", "--config", cfgPath)
			if timedOut {
				t.Fatalf("serve started on a corrupt store\n%s", errOut)
			}
			if code != 1 || !strings.Contains(errOut, "store file is corrupt") || !strings.Contains(errOut, "backup") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %.3000s", code, out, errOut)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, corrupt) {
				t.Fatal("serve changed the corrupt file")
			}
		})
	}
}
