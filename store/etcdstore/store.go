package etcdstore

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// SchemaVersion is the layout version this code reads and writes.
const SchemaVersion = 1

// DefaultPrefix is where the store's keys live when Options.Prefix is "".
const DefaultPrefix = "offboard/"

// DefaultMaxTxnOps is etcd's default --max-txn-ops: the server refuses
// a transaction with more compares, or more writes, than this. Past it a
// commit compares the whole store instead (see tx.compares); a command
// that writes more keys fails with a message that says to raise both.
const DefaultMaxTxnOps = 128

// DefaultMaxRetries bounds how often Update runs fn again after losing
// a race to another writer.
const DefaultMaxRetries = 50

// Key kinds (see the package documentation).
const (
	kindCases         = "cases/"
	kindTasks         = "tasks/"
	kindApprovals     = "approvals/"
	kindApprovalsCase = "approvals_case/"
	kindAudit         = "audit/"
	kindAuditCase     = "audit_case/"
	kindJobs          = "jobs/"
	kindJobQueue      = "jobq/"
	kindJobsCase      = "jobs_case/"
	kindDead          = "dead/"
	kindDedupe        = "dedupe/"
	kindPersonal      = "personal/"
	kindIdxEmail      = "idx/email/"
	kindIdxStatus     = "idx/status/"
	kindIdxDue        = "idx/due/"
	kindIdxWake       = "idx/wake/"
	kindWakeByCase    = "wake_by_case/"
	keySchemaVersion  = "meta/schema_version"
	keyAuditHead      = "meta/audit_head"
	keySeqCases       = "meta/seq/cases"
	keySeqApprovals   = "meta/seq/approvals"
	keySeqJobs        = "meta/seq/jobs"
	keyWakePolicy     = "meta/wake_policy"
)

// Options configure New.
type Options struct {
	// Prefix is prepended to every key; "" means DefaultPrefix. Two
	// stores in one etcd cluster need different prefixes.
	Prefix string
	// MaxTxnOps is the etcd server's --max-txn-ops; 0 means
	// DefaultMaxTxnOps. A command writes at most this many keys, so a
	// large playbook needs the server's limit (and this) raised: opening
	// a case writes about five keys per task.
	MaxTxnOps int
	// MaxRetries bounds the runs of fn after conflicts; 0 means
	// DefaultMaxRetries.
	MaxRetries int
	// Logger receives store events; nil discards them.
	Logger *slog.Logger
	// CallTimeout bounds each run of Update and View, and each request
	// outside them, when ctx ends no sooner: with the cluster gone the
	// client waits for a connection as long as its context lets it, and
	// a shutdown or a scheduled job must not wait for ever. 0: no bound.
	CallTimeout time.Duration
}

// Store is offboard.Store over etcd. It is safe for concurrent use, and
// any number of Stores (in any number of processes) may share a prefix.
type Store struct {
	cli        *clientv3.Client
	prefix     string
	maxTxnOps  int
	maxRetries int
	logger     *slog.Logger
	// callTimeout is Options.CallTimeout.
	callTimeout time.Duration
	conflicts   atomic.Uint64
	// pruned: when expired delivery markers and batch records were
	// last dropped (delivered.go).
	pruned pruned
	// leases, when set (NewLeader), is the session lease job claims live
	// under; nil: claims outlive the process, as bbolt's leases do.
	leases func() clientv3.LeaseID
	// writer admits one Update of this process at a time. Every command
	// appends to the audit chain, whose head key each commit compares:
	// writers of one process racing each other would all but one lose
	// and run again, work wasted at best and, under a layoff's intake,
	// past MaxRetries. Only other replicas' commits can conflict now.
	writer chan struct{}
}

var _ offboard.Store = (*Store)(nil)

// New returns the store under opts.Prefix in the cluster cli talks to,
// writing the schema version if the prefix is empty and refusing one of
// a newer schema. The caller owns cli and closes it after the store.
func New(ctx context.Context, cli *clientv3.Client, opts Options) (*Store, error) {
	s := &Store{cli: cli, prefix: opts.Prefix, maxTxnOps: opts.MaxTxnOps, maxRetries: opts.MaxRetries, logger: opts.Logger, callTimeout: opts.CallTimeout,
		writer: make(chan struct{}, 1)}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.maxTxnOps <= 0 {
		s.maxTxnOps = DefaultMaxTxnOps
	}
	if s.maxRetries <= 0 {
		s.maxRetries = DefaultMaxRetries
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if err := refuseNested(ctx, cli, s.prefix); err != nil {
		return nil, err
	}
	key := s.prefix + keySchemaVersion
	// Create the version only if it is absent: two replicas starting at
	// once both succeed, one of them writing it.
	// Only into an empty prefix: keys without a version are an import
	// that has not finished (Import writes the version last).
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(s.prefix), "=", 0).WithRange(prefixEnd(s.prefix))).
		Then(clientv3.OpPut(key, strconv.Itoa(SchemaVersion))).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return nil, s.explain(fmt.Errorf("etcdstore: open %s: %w", s.prefix, err))
	}
	if !resp.Succeeded {
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 {
			return nil, explainStrayKeys(ctx, cli, s.prefix)
		}
		n, err := strconv.Atoi(string(kvs[0].Value))
		switch {
		case err != nil || n <= 0:
			return nil, fmt.Errorf("etcdstore: open %s: schema version %q is not a version: this prefix holds something else", s.prefix, kvs[0].Value)
		case n > SchemaVersion:
			return nil, fmt.Errorf("etcdstore: open %s: schema version %d, but this offboard knows %d at most; run a newer offboard", s.prefix, n, SchemaVersion)
		}
	}
	return s, nil
}

// Conflicts counts the runs of fn that lost a race and ran again.
func (s *Store) Conflicts() uint64 { return s.conflicts.Load() }

// Update runs fn against a snapshot and commits its writes in one etcd
// transaction that holds only if nothing fn read has changed; otherwise
// fn runs again on a fresh snapshot, up to Options.MaxRetries times. An
// error from fn discards its writes. fn must make no network calls and
// keep no state outside itself between runs.
func (s *Store) Update(ctx context.Context, fn func(offboard.Tx) error) error {
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writer }()
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := s.run(ctx, fn)
		if err == nil && ok {
			return nil
		}
		if err == nil {
			s.conflicts.Add(1)
		}
		if err != nil && !retryable(err) {
			return err
		}
		if attempt >= s.maxRetries {
			return fmt.Errorf("etcdstore: update: %d runs lost a race with other writers; giving up", attempt+1)
		}
		s.logger.Debug("etcd transaction conflicted; running again", "attempt", attempt+1)
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// run is one run of fn and its commit, bounded by Options.CallTimeout;
// ok is false when the commit lost a race.
func (s *Store) run(ctx context.Context, fn func(offboard.Tx) error) (ok bool, err error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	t := newTx(ctx, s, true)
	err = fn(t)
	t.ended = true
	if err != nil {
		return false, err
	}
	return t.commit()
}

// bounded is ctx ending after Options.CallTimeout at the latest.
func (s *Store) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.callTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.callTimeout)
}

// backoff spreads the retries of writers that collided, so they do not
// collide again: up to 1ms, 2ms, … 64ms, at random.
func backoff(attempt int) time.Duration {
	ceiling := time.Millisecond << min(attempt, 6)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// View runs fn against one consistent snapshot (every read at one
// revision); write methods return an error.
func (s *Store) View(ctx context.Context, fn func(offboard.Tx) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.view(ctx, fn)
		if !retryable(err) || attempt >= s.maxRetries {
			return err
		}
	}
}

// view is one run of a View, bounded by Options.CallTimeout.
func (s *Store) view(ctx context.Context, fn func(offboard.Tx) error) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	t := newTx(ctx, s, false)
	err := fn(t)
	t.ended = true
	if err == nil && t.err != nil {
		err = t.err
	}
	return err
}

// Ping reads the schema version: a liveness check for /healthz.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.prefix+keySchemaVersion)
	if err != nil {
		return fmt.Errorf("etcdstore: ping: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return fmt.Errorf("etcdstore: ping: %s has no schema version", s.prefix)
	}
	return nil
}
