package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// BenchmarkAuditVerifyCheckpoints is the figure for issue 18: the whole
// `audit verify --checkpoints` (file check, chain, indexes, checkpoints)
// over 100,000 events anchored by a checkpoint every 25 events (4,000
// lines: a busy year of case closes and hourly checkpoints).
func BenchmarkAuditVerifyCheckpoints(b *testing.B) {
	const events, every = 100_000, 25
	dir := b.TempDir()
	path := filepath.Join(dir, "big.db")
	integrityStore(b, path, events)
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	seqs := make([]uint64, 0, events/every)
	for s := uint64(every); s <= events; s += every {
		seqs = append(seqs, s)
	}
	hashes, err := db.AuditHashes(context.Background(), seqs)
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	var file strings.Builder
	prev := ""
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, s := range seqs {
		cp := offboard.SignCheckpoint(offboard.Checkpoint{Seq: s, Head: hashes[s], Time: t0.Add(time.Duration(i) * time.Hour), Prev: prev}, key)
		line, err := cp.MarshalLine()
		if err != nil {
			b.Fatal(err)
		}
		file.Write(line)
		prev = cp.Digest()
	}
	cpFile := filepath.Join(dir, "cp.jsonl")
	if err := os.WriteFile(cpFile, []byte(file.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	cfgPath := writeConfig(b, dir, "")
	pubB64 := base64.StdEncoding.EncodeToString(pub)
	// plain is the same verify without checkpoints: the difference is
	// what anchoring costs.
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--store", path); code != 0 {
				b.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
			}
		}
	})
	b.Run("checkpoints", func(b *testing.B) {
		for b.Loop() {
			code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--store", path, "--checkpoints", cpFile, "--public-key", pubB64)
			if code != 0 || !strings.Contains(out, "checkpoints OK: 4000 signed checkpoints") {
				b.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
			}
		}
	})
}
