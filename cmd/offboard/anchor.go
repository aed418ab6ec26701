package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/anchor"
)

// wireAnchor builds the checkpoint writer when audit.signing_key and
// audit.checkpoint_file are set, and schedules the periodic checkpoint on
// the runner's cron. Config validated the key; it is parsed again here
// so the writer holds it as a key, never as text.
func (a *app) wireAnchor() error {
	cfg := a.cfg.Audit
	if !cfg.Anchored() {
		a.log.Info("audit anchoring off", "why", "not configured: set audit.signing_key_file (offboard audit keygen) and audit.checkpoint_file")
		return nil
	}
	key, err := offboard.ParseSigningKey(cfg.SigningKey.Reveal())
	if err != nil {
		return fmt.Errorf("audit.signing_key: %w", err)
	}
	a.checkpointer, err = anchor.New(anchor.Options{
		Head: a.db.AuditHead, Key: key, File: cfg.CheckpointFile, Clock: a.clock,
		Logger: a.log.With("component", "anchor"), Post: a.checkpointPoster(),
	})
	if err != nil {
		return err
	}
	// A missing volume does not stop offboard (revocations matter more
	// than their anchor), but it is said at start, not at the first close.
	if fi, err := os.Stat(filepath.Dir(cfg.CheckpointFile)); err != nil || !fi.IsDir() {
		a.log.Error("audit.checkpoint_file's directory is missing: checkpoints will NOT be written until it exists",
			"checkpoint_file", cfg.CheckpointFile)
	}
	a.log.Info("audit anchoring on", "checkpoint_file", cfg.CheckpointFile, "every", cfg.CheckpointEvery.D().String(),
		"key_id", offboard.CheckpointKeyID(key.Public().(ed25519.PublicKey)))
	return a.schedule.AddFunc("@every "+cfg.CheckpointEvery.D().String(), "audit checkpoint", func(ctx context.Context) {
		a.checkpointer.TryCheckpoint(ctx, "scheduled")
	})
}

// checkpointPoster posts a checkpoint to audit.checkpoint_channel on
// each platform that has one (nil: none). Config made sure the platform
// is configured.
func (a *app) checkpointPoster() func(ctx context.Context, text string) error {
	ch := a.cfg.Audit.CheckpointChannel
	type poster struct {
		channel string
		post    func(ctx context.Context, channel, text string) error
	}
	var posters []poster
	if ch.Slack != "" && a.slack != nil {
		posters = append(posters, poster{ch.Slack, a.slack.PostText})
	}
	if ch.Teams != "" && a.teams != nil {
		posters = append(posters, poster{ch.Teams, a.teams.PostText})
	}
	if len(posters) == 0 {
		return nil
	}
	return func(ctx context.Context, text string) error {
		var errs []error
		for _, p := range posters {
			if err := p.post(ctx, p.channel, text); err != nil {
				errs = append(errs, fmt.Errorf("post to %s: %w", p.channel, err))
			}
		}
		return errors.Join(errs...)
	}
}

// nudgeCheckpoint asks for a checkpoint soon; it never blocks the command
// that closed a case.
func (a *app) nudgeCheckpoint() {
	if a.checkpointer != nil {
		a.checkpointer.Nudge()
	}
}

// startAnchor runs the checkpoint writer until the returned stop, which
// writes the last checkpoint (at shutdown, after the workers stopped, so
// it covers everything they recorded); stop may be called again. A checkpoint at start covers what
// an earlier run appended after its last one (a crash).
func (a *app) startAnchor() (stop func()) {
	if a.checkpointer == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	// The start checkpoint is taken before serve accepts work, so it is
	// the chain as the last run left it, never a race with new events.
	a.checkpointer.TryCheckpoint(ctx, "start")
	go func() {
		defer close(done)
		a.checkpointer.Run(ctx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			a.checkpointer.TryCheckpoint(context.Background(), "shutdown")
		})
	}
}
