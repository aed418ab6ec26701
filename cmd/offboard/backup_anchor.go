package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/anchor"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
)

// backupAnchoring is what the signed checkpoints say of a backup copy.
type backupAnchoring struct {
	// Checked is false when there is nothing to check against; Why says
	// so (no checkpoint file or key configured, no file yet).
	Checked bool
	Why     string
	// Matched counts the checkpoints the copy agrees with; LastSeq is the
	// newest of them.
	Matched int
	LastSeq uint64
	// Beyond counts checkpoints newer than the copy (up to event
	// BeyondSeq): a restore of the copy loses those events.
	Beyond    int
	BeyondSeq uint64
	ChainLen  uint64
}

// Check names this check in a backup report.
func (a backupAnchoring) Check() string {
	if !a.Checked {
		return "signed checkpoints: not checked (" + a.Why + ")"
	}
	return fmt.Sprintf("signed checkpoints: the copy holds every signed head up to its end (%d checkpoints, newest at event %d)", a.Matched, a.LastSeq)
}

// checkBackupAnchoring checks a backup copy against the checkpoint file:
// every checkpoint up to the copy's last event must be in it exactly, so
// a copy of a truncated or re-chained store never counts as a backup and
// is never restored. Checkpoints after the copy's end are what a restore
// would lose; they are counted, not errors.
func checkBackupAnchoring(ctx context.Context, path string, audit config.Audit) (backupAnchoring, error) {
	if audit.CheckpointFile == "" || audit.SigningKey == "" {
		return backupAnchoring{Why: "audit.checkpoint_file and audit.signing_key_file are not both configured"}, nil
	}
	key, err := offboard.ParseSigningKey(audit.SigningKey.Reveal())
	if err != nil {
		return backupAnchoring{}, fmt.Errorf("audit.signing_key: %w", err)
	}
	f, err := os.Open(audit.CheckpointFile)
	if errors.Is(err, fs.ErrNotExist) {
		return backupAnchoring{Why: "the checkpoint file " + audit.CheckpointFile + " does not exist yet"}, nil
	}
	if err != nil {
		return backupAnchoring{}, fmt.Errorf("audit.checkpoint_file: %w", err)
	}
	defer f.Close()
	db, err := store.Open(path, store.Options{ReadOnly: true, LockTimeout: time.Second})
	if err != nil {
		return backupAnchoring{}, err
	}
	defer db.Close()
	chainLen, _, err := db.AuditHead(ctx)
	if err != nil {
		return backupAnchoring{}, err
	}
	res, err := anchor.VerifyPrefix(ctx, f, key.Public().(ed25519.PublicKey), db.AuditHashes, chainLen)
	if err != nil {
		return backupAnchoring{}, err
	}
	if res.Checkpoints == 0 {
		return backupAnchoring{Why: "the checkpoint file " + audit.CheckpointFile + " is empty"}, nil
	}
	a := backupAnchoring{Checked: true, Matched: res.Valid - res.Beyond, LastSeq: res.LastSeq, Beyond: res.Beyond, BeyondSeq: res.BeyondSeq, ChainLen: chainLen}
	if len(res.Problems) > 0 {
		return a, fmt.Errorf("the copy disagrees with the signed checkpoints in %s: %s", audit.CheckpointFile, strings.Join(res.Problems, "; "))
	}
	return a, nil
}
