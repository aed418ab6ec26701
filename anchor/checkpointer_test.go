package anchor_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/anchor"
	"github.com/offboard-dev/offboard/internal/testclock"
)

// chain is a fake chain head the test moves.
type chain struct {
	mu     sync.Mutex
	hashes []string // hashes[i] is event i+1's
	err    error
}

func (c *chain) append(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		c.hashes = append(c.hashes, strings.Repeat(string(rune('a'+len(c.hashes)%26)), 64))
	}
}

func (c *chain) head(context.Context) (uint64, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, "", c.err
	}
	if len(c.hashes) == 0 {
		return 0, "", nil
	}
	return uint64(len(c.hashes)), c.hashes[len(c.hashes)-1], nil
}

func (c *chain) lookup(_ context.Context, seqs []uint64) (map[uint64]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[uint64]string{}
	for _, s := range seqs {
		if s >= 1 && s <= uint64(len(c.hashes)) {
			out[s] = c.hashes[s-1]
		}
	}
	return out, nil
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCheckpointer(t *testing.T, c *chain, key ed25519.PrivateKey, file string, log *bytes.Buffer) *anchor.Checkpointer {
	t.Helper()
	var logger *slog.Logger
	if log != nil {
		logger = slog.New(slog.NewTextHandler(log, nil))
	}
	cp, err := anchor.New(anchor.Options{Head: c.head, Key: key, File: file, Clock: testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func lines(t *testing.T, file string) []offboard.Checkpoint {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []offboard.Checkpoint
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var cp offboard.Checkpoint
		if err := json.Unmarshal([]byte(l), &cp); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, cp)
	}
	return out
}

func TestCheckpointer_Checkpoint(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "cp.jsonl")
	key := newKey(t)
	c := &chain{}
	w := newCheckpointer(t, c, key, file, nil)

	if cp, err := w.Checkpoint(ctx); err != nil || cp != nil {
		t.Fatalf("empty chain: %v %v; want nothing written", cp, err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatal("an empty chain created the file")
	}
	c.append(3)
	cp, err := w.Checkpoint(ctx)
	if err != nil || cp == nil || cp.Seq != 3 || cp.Prev != "" {
		t.Fatalf("first checkpoint: %+v %v", cp, err)
	}
	if err := cp.VerifySignature(key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	// The head did not move: nothing to anchor.
	if cp, err := w.Checkpoint(ctx); err != nil || cp != nil {
		t.Fatalf("unmoved head: %v %v", cp, err)
	}
	c.append(2)
	second, err := w.Checkpoint(ctx)
	if err != nil || second == nil || second.Seq != 5 || second.Prev != cp.Digest() {
		t.Fatalf("second checkpoint: %+v %v", second, err)
	}
	got := lines(t, file)
	if len(got) != 2 || got[1] != *second {
		t.Fatalf("file holds %+v", got)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("checkpoint file mode %04o: other users have access", fi.Mode().Perm())
	}

	// A new writer (a restart) goes on from the file's last line.
	c.append(1)
	w2 := newCheckpointer(t, c, key, file, nil)
	third, err := w2.Checkpoint(ctx)
	if err != nil || third == nil || third.Seq != 6 || third.Prev != second.Digest() {
		t.Fatalf("after restart: %+v %v", third, err)
	}
	res, err := anchor.Verify(ctx, bytes.NewReader(mustRead(t, file)), key.Public().(ed25519.PublicKey), c.lookup, 6)
	if err != nil || !res.OK() || res.Checkpoints != 3 || res.LastSeq != 6 {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A failure is returned (TryCheckpoint logs it) and the next call tries
// again; nothing is skipped silently.
func TestCheckpointer_FailureIsRetried(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "not-yet")
	file := filepath.Join(dir, "cp.jsonl")
	c := &chain{}
	c.append(2)
	var log bytes.Buffer
	w := newCheckpointer(t, c, newKey(t), file, &log)
	w.TryCheckpoint(ctx, "case closed")
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "audit checkpoint NOT written") {
		t.Fatalf("failure not logged as an error:\n%s", log.String())
	}
	c.err = context.DeadlineExceeded
	if _, err := w.Checkpoint(ctx); err == nil || !strings.Contains(err.Error(), "chain head") {
		t.Fatalf("head error: %v", err)
	}
	c.err = nil
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cp, err := w.Checkpoint(ctx)
	if err != nil || cp == nil || cp.Seq != 2 {
		t.Fatalf("retry: %+v %v", cp, err)
	}
}

// A chain that went back below the last checkpoint (truncated, or a
// restore of an older copy) is not signed over: the file would contradict
// itself. It is an error every time until the chain passes it.
func TestCheckpointer_ChainBehindFile(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "cp.jsonl")
	key := newKey(t)
	c := &chain{}
	c.append(5)
	if _, err := newCheckpointer(t, c, key, file, nil).Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	c.hashes = c.hashes[:3]
	_, err := newCheckpointer(t, c, key, file, nil).Checkpoint(ctx)
	if err == nil || !strings.Contains(err.Error(), "truncated or restored") {
		t.Fatalf("err = %v", err)
	}
	if n := len(lines(t, file)); n != 1 {
		t.Fatalf("%d lines, want 1", n)
	}
}

// A line cut off by a crash is not extended: the next checkpoint starts
// on a line of its own, and verify reports the broken line.
func TestCheckpointer_TornLastLine(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "cp.jsonl")
	key := newKey(t)
	c := &chain{}
	c.append(2)
	if _, err := newCheckpointer(t, c, key, file, nil).Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"v":1,"seq":`)
	f.Close()
	c.append(1)
	var log bytes.Buffer
	if _, err := newCheckpointer(t, c, key, file, &log).Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "cut off") {
		t.Errorf("the torn line was not logged:\n%s", log.String())
	}
	b := mustRead(t, file)
	if n := bytes.Count(b, []byte("\n")); n != 3 {
		t.Fatalf("%d lines, want 3:\n%s", n, b)
	}
	res, err := anchor.Verify(ctx, bytes.NewReader(b), key.Public().(ed25519.PublicKey), c.lookup, 3)
	if err != nil || res.OK() || res.Valid != 2 || !strings.Contains(strings.Join(res.Problems, "\n"), "line 2 is not a checkpoint") {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

func TestCheckpointer_NudgeNeverBlocks(t *testing.T) {
	c := &chain{}
	w := newCheckpointer(t, c, newKey(t), filepath.Join(t.TempDir(), "cp.jsonl"), nil)
	done := make(chan struct{})
	go func() {
		for range 1000 {
			w.Nudge() // nobody runs Run
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Nudge blocked")
	}
}

func TestNew_Refuses(t *testing.T) {
	c := &chain{}
	for name, o := range map[string]anchor.Options{
		"no head": {Key: newKey(t), File: "f"},
		"no key":  {Head: c.head, File: "f"},
		"no file": {Head: c.head, Key: newKey(t)},
	} {
		if _, err := anchor.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
