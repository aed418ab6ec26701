package etcdstore

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/offboard-dev/offboard"
)

// DefaultLeaseTTL is how long a replica that stops answering keeps the
// lead and its job claims when LeaderOptions.TTL is zero.
const DefaultLeaseTTL = 10 * time.Second

// keyLeader is the election's prefix under the store's: each candidate
// holds leader/<its lease> and the oldest one leads.
const keyLeader = "leader"

const (
	// leaderAuditTimeout bounds the audit of a leadership change.
	leaderAuditTimeout = 5 * time.Second
	// sessionRetry is the pause before a new session after etcd failed.
	sessionRetry = time.Second
)

// leaderActor is who records leadership changes.
var leaderActor = offboard.System("leader")

// LeaderOptions configure NewLeader.
type LeaderOptions struct {
	// TTL is the session lease, in whole seconds (store.etcd.lease): a
	// replica that stops answering keeps the lead and its claims this
	// long, so another takes over within it. 0 means DefaultLeaseTTL.
	TTL time.Duration
	// Name tells this replica apart in the election, the log and the
	// audit chain (serve: the host name and process id).
	Name string
	// Audit records leadership changes (nil: the store's own chain).
	Audit  offboard.AuditLog
	Logger *slog.Logger
	// Clock stamps the audit events (default the wall clock).
	Clock offboard.Clock
}

// Leader is this replica's side of the election on <prefix>leader, and
// offboard.Leadership: the replica that leads runs the outbox workers and
// the schedule. Its session lease also holds the job claims the store
// makes (claims.go), so a replica whose lease ends loses its lead and its
// jobs at the same instant, and the results it still reports are fenced.
type Leader struct {
	s     *Store
	ttl   int
	name  string
	audit offboard.AuditLog
	clock offboard.Clock
	log   *slog.Logger

	mu      sync.Mutex
	session *concurrency.Session
	terms   offboard.Terms
	leading atomic.Bool
	audits  sync.WaitGroup
}

var _ offboard.Leadership = (*Leader)(nil)

// NewLeader returns the election of s's replicas, and binds s's job
// claims to this replica's session lease. Call it before the store
// serves jobs, and start campaigning with Run.
func NewLeader(s *Store, o LeaderOptions) *Leader {
	ttl := o.TTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	l := &Leader{
		s: s, ttl: int(math.Ceil(ttl.Seconds())), name: o.Name, audit: o.Audit, clock: o.Clock, log: o.Logger,
	}
	if l.name == "" {
		l.name = "replica"
	}
	if l.audit == nil {
		l.audit = s.AuditLog(nil)
	}
	if l.clock == nil {
		l.clock = offboard.WallClock()
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	s.useLeases(l.lease)
	return l
}

// Leading reports whether this replica leads now.
func (l *Leader) Leading() bool { return l.leading.Load() }

// lease is the live session's lease (noLease between sessions).
func (l *Leader) lease() clientv3.LeaseID {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.session == nil {
		return noLease
	}
	select {
	case <-l.session.Done():
		return noLease
	default:
		return l.session.Lease()
	}
}

// Lead blocks until this replica leads; the context it returns ends with
// the term or with ctx.
func (l *Leader) Lead(ctx context.Context) (context.Context, error) { return l.terms.Lead(ctx) }

// Run campaigns until ctx is done: a session (a lease kept alive), then
// the election; while leading it waits for the session to end, then
// starts over. When ctx ends it resigns and revokes the lease, so the
// next replica leads at once and this one's claims are released.
func (l *Leader) Run(ctx context.Context) {
	defer l.audits.Wait()
	for ctx.Err() == nil {
		sess, err := concurrency.NewSession(l.s.cli, concurrency.WithTTL(l.ttl), concurrency.WithContext(ctx))
		if err != nil {
			if ctx.Err() == nil {
				l.log.Warn("no etcd session; trying again", "err", err)
				_ = sleep(ctx, sessionRetry)
			}
			continue
		}
		l.mu.Lock()
		l.session = sess
		l.mu.Unlock()
		l.campaign(ctx, sess)
		l.mu.Lock()
		l.session = nil
		l.mu.Unlock()
	}
}

// campaign runs one session's part: wait to lead, lead until the session
// or ctx ends.
func (l *Leader) campaign(ctx context.Context, sess *concurrency.Session) {
	el := concurrency.NewElection(sess, l.s.prefix+keyLeader)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(sess.Ctx(), cancel) // a lost session ends the wait
	defer stop()
	l.log.Info("campaigning for the lead", "replica", l.name, "lease_ttl_s", l.ttl)
	err := el.Campaign(cctx, l.name)
	var keyGone clientv3.WatchChan
	if err == nil {
		// Campaign also returns once the older candidates are gone even if
		// this session's own key went with its lease: check it is there,
		// and watch it. The server deletes it the moment the lease ends,
		// which the keep-alive would tell only at its next beat.
		var resp *clientv3.GetResponse
		resp, err = l.s.cli.Get(cctx, el.Key())
		if err == nil && len(resp.Kvs) == 0 {
			err = fmt.Errorf("this replica's election key vanished with its lease")
		}
		if err == nil {
			keyGone = l.s.cli.Watch(cctx, el.Key(), clientv3.WithRev(resp.Header.Revision+1), clientv3.WithFilterPut())
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			l.close(sess)
			return
		}
		l.log.Warn("campaign ended without the lead; campaigning again", "err", err)
		l.close(sess)
		return
	}

	term, endTerm := context.WithCancel(ctx)
	began := time.Now()
	l.setTerm(term)
	l.log.Info("this replica leads now: it runs the outbox workers and the schedule", "replica", l.name)
	l.record("leader.elected", offboard.OutcomeOK, fmt.Sprintf("replica %s leads: it runs the outbox workers and the schedule", l.name))

	lost := anyOf(cctx, sess.Done(), watchDeleted(keyGone), l.leaseGuard(cctx, sess.Lease()))
	select {
	case <-lost:
	case <-ctx.Done():
	}
	// Stop the work before anything else: another replica may lead
	// already.
	endTerm()
	l.setTerm(nil)
	held := time.Since(began).Round(time.Millisecond)
	if ctx.Err() == nil {
		l.log.Warn("this replica lost the lead: its etcd lease ended or could not be confirmed in time (etcd unreachable or too slow); it stopped the workers and the schedule and campaigns again",
			"replica", l.name, "held", held.String())
		l.record("leader.lost", offboard.OutcomeFailed,
			fmt.Sprintf("replica %s lost the lead after %s: its etcd lease ended or could not be confirmed; the results of its running jobs are refused and the next leader runs them again", l.name, held))
		l.close(sess)
		return
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), leaderAuditTimeout)
	if err := el.Resign(rctx); err != nil {
		l.log.Warn("resigning the lead failed; another replica leads when the lease expires", "err", err)
	}
	rcancel()
	l.log.Info("this replica gave up the lead (shutting down)", "replica", l.name, "held", held.String())
	l.record("leader.resigned", offboard.OutcomeOK, fmt.Sprintf("replica %s gave up the lead after %s (shutting down)", l.name, held))
	l.close(sess)
}

// watchDeleted closes the channel it returns when the watched key is
// deleted or the watch ends; nil for no watch.
func watchDeleted(wch clientv3.WatchChan) <-chan struct{} {
	if wch == nil {
		return nil
	}
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for wr := range wch {
			if wr.Err() != nil || len(wr.Events) > 0 {
				return // only deletions pass the filter
			}
		}
	}()
	return gone
}

// guardMargin is how long before the lease's last confirmed end a
// replica stops leading: the server's clock and ours may tick a little
// apart.
const guardMargin = 100 * time.Millisecond

// leaseGuard closes the channel it returns when this replica can no
// longer be sure the server still holds its lease: etcd's answer to
// TimeToLive (the seconds left, rounded down, counted from when it was
// asked, so never later than the server's expiry) has run out without a
// newer one. The keep-alive would tell only after the expiry, when
// another replica may lead already; so a replica cut off from etcd stops
// its workers and schedule before anyone else can start them.
func (l *Leader) leaseGuard(ctx context.Context, id clientv3.LeaseID) <-chan struct{} {
	lost := make(chan struct{})
	every := time.Duration(l.ttl) * time.Second / 4
	go func() {
		// The campaign has just seen the key: the lease lived then.
		deadline := time.Now().Add(every)
		for {
			asked := time.Now()
			// The question may hang (etcd cut off): it must not outlast
			// the deadline.
			limit := min(every, time.Until(deadline)-guardMargin)
			if limit <= 0 {
				close(lost)
				return
			}
			cctx, cancel := context.WithTimeout(ctx, limit)
			resp, err := l.s.cli.TimeToLive(cctx, id)
			cancel()
			if ctx.Err() != nil {
				return
			}
			switch {
			case err == nil && resp.TTL < 0: // expired
				close(lost)
				return
			case err == nil:
				if d := asked.Add(time.Duration(resp.TTL) * time.Second); d.After(deadline) {
					deadline = d
				}
			}
			wait := min(every, time.Until(deadline)-guardMargin)
			if wait <= 0 {
				close(lost)
				return
			}
			if sleep(ctx, wait) != nil {
				return
			}
		}
	}()
	return lost
}

// anyOf closes the channel it returns when one of chans closes (nil ones
// never do), or never once ctx is done.
func anyOf(ctx context.Context, chans ...<-chan struct{}) <-chan struct{} {
	out := make(chan struct{})
	var once sync.Once
	for _, c := range chans {
		if c == nil {
			continue
		}
		go func() {
			select {
			case <-c:
				once.Do(func() { close(out) })
			case <-ctx.Done():
			}
		}()
	}
	return out
}

func (l *Leader) setTerm(term context.Context) {
	l.terms.Set(term)
	l.leading.Store(term != nil)
}

// close revokes the session's lease, which deletes its election key and
// its job claims; when etcd is unreachable the lease expires by itself.
func (l *Leader) close(sess *concurrency.Session) {
	sess.Orphan()
	ctx, cancel := context.WithTimeout(context.Background(), leaderAuditTimeout)
	defer cancel()
	_, _ = l.s.cli.Revoke(ctx, sess.Lease())
}

// record appends a leadership change to the audit chain without holding
// up the election: after a lost lease etcd may not answer at all.
func (l *Leader) record(action, outcome, detail string) {
	ev := offboard.AuditEvent{Time: l.clock.Now(), Actor: leaderActor, Action: action, Target: l.name, Outcome: outcome, Detail: detail}
	l.audits.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), leaderAuditTimeout)
		defer cancel()
		if err := l.audit.Append(ctx, ev); err != nil {
			l.log.Warn("recording a leadership change in the audit chain failed", "action", action, "err", err)
		}
	})
}

// WatchQueue calls wake each time any replica queues a job, until ctx is
// done: intake on a follower commits a revocation, and the leader's
// runner claims it at once instead of at its next poll.
func (l *Leader) WatchQueue(ctx context.Context, wake func()) {
	for ctx.Err() == nil {
		wch := l.s.cli.Watch(clientv3.WithRequireLeader(ctx), l.s.prefix+kindJobQueue, clientv3.WithPrefix(), clientv3.WithFilterDelete())
		for wr := range wch {
			if wr.Err() != nil {
				break
			}
			for _, ev := range wr.Events {
				if len(ev.Kv.Value) > 0 { // not a tombstone
					wake()
					break
				}
			}
		}
		_ = sleep(ctx, sessionRetry) // the watch broke: etcd unreachable
	}
}
