package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store/etcdstore"
)

// electionFor is serve's leadership on store.backend etcd: the store's
// election, whose session lease is store.etcd.lease. It binds the
// store's job claims to that lease, so it is built before anything
// claims a job. On bbolt it is nil: wire makes this process the sole
// replica.
func electionFor(cfg *config.Config, db storeBackend, log *slog.Logger) offboard.Leadership {
	s, ok := db.(*etcdstore.Store)
	if !ok {
		return nil
	}
	return etcdstore.NewLeader(s, etcdstore.LeaderOptions{
		TTL: cfg.Store.Etcd.Lease.D(), Name: replicaName(), Logger: log.With("component", "leader"),
		Audit: s.AuditLog(redactorFor(cfg)),
	})
}

// eachTerm runs fn once for each term this replica leads, with the
// term's context, until ctx is done: work that must run on one replica
// at a time and is no cron job of the schedule (the reconciliation at
// start, the erasure loop). A sole replica has one term, all of ctx.
func (a *app) eachTerm(ctx context.Context, fn func(term context.Context)) {
	// A Lead asked while the term lasts may return it even once ctx is
	// done: ctx is checked first.
	for ctx.Err() == nil {
		term, err := a.leadership.Lead(ctx)
		if err != nil {
			return
		}
		fn(term)
		<-term.Done()
	}
}

// campaigner is a Leadership that campaigns while it runs: the etcd
// store's election (etcdstore.Leader). Every replica serves intake; the
// one that leads also runs the outbox workers and the schedule.
type campaigner interface {
	offboard.Leadership
	Run(ctx context.Context)
	Leading() bool
}

// wireLeadership settles who runs the outbox workers and the schedule:
// the election wireOptions.leadership brings (etcd), else this process
// alone (bbolt, one process per file). With metrics on, /metrics shows
// offboard_leader.
func (a *app) wireLeadership(l offboard.Leadership) error {
	if l == nil {
		l = offboard.SoleReplica{}
	}
	a.leadership = l
	if a.metrics == nil {
		return nil
	}
	leading := func() float64 { return 1 }
	if c, ok := l.(campaigner); ok {
		leading = func() float64 {
			if c.Leading() {
				return 1
			}
			return 0
		}
	}
	err := a.metrics.Registry().Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "offboard_leader",
		Help: "1 while this replica leads (runs the outbox workers and the schedule), 0 while it only serves intake.",
	}, leading))
	if err != nil {
		return fmt.Errorf("metrics: leader gauge: %w", err)
	}
	return nil
}

// startLeadership campaigns for the lead until the returned stop is
// called; serve calls it before starting the runner and the schedule,
// and stop after they stopped, so the lease (and with it this replica's
// job claims) is given up last. A sole replica has nothing to start.
func (a *app) startLeadership() (stop func()) {
	c, ok := a.leadership.(campaigner)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.Run(ctx) })
	if w, ok := c.(queueWatcher); ok {
		// Jobs committed on another replica wake this one's runner.
		wg.Go(func() { w.WatchQueue(ctx, a.runner.Wake) })
	}
	return func() { cancel(); wg.Wait() }
}

// queueWatcher tells of jobs any replica queues (etcdstore.Leader).
type queueWatcher interface {
	WatchQueue(ctx context.Context, wake func())
}

// replicaName tells this process apart in the election, the log and the
// audit chain: its host name and process id.
func replicaName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "offboard"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}
