package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, cfgPath := newFlags("serve", "Run the bot: HTTP (health, REST API), the outbox workers and the scheduler.\n"+
		"Stops cleanly on SIGTERM or Ctrl-C: intake stops, running jobs get runner.shutdown_grace to finish.", stderr)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadForServe(*cfgPath)
	if err != nil {
		return err
	}
	// The error that stops serve is printed, not logged: it passes the
	// same redactor as the log.
	defer func() { err = redactError(err, redactorFor(cfg)) }()
	log := newLogger(cfg, os.Stderr)
	stopDemo, err := startDemo(cfg, log)
	if err != nil {
		return err
	}
	defer stopDemo()
	db, closeStore, err := openBackend(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer closeStore()
	// Before anything claims a job: the election binds the claims to
	// this replica's lease (etcd; nil on bbolt).
	leadership := electionFor(cfg, db, log)
	recovered, err := recoverLeasesAtStart(ctx, db)
	if err != nil {
		return err
	}
	if file, ok := db.(*store.DB); ok {
		if err := seedDemoHistory(ctx, cfg, file, time.Now(), log); err != nil {
			return err
		}
	} else if cfg.Demo {
		// A year of cases is one command, far past one etcd transaction.
		log.Info("demo history not written: it is seeded into a bbolt store only")
	}
	a, err := wire(cfg, log, db, wireOptions{leadership: leadership})
	if err != nil {
		return err
	}
	a.logStartup()
	if recovered > 0 {
		log.Warn("jobs cut off by an earlier crash will run again", "jobs", recovered)
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	return a.serve(ctx, ln)
}

// serve runs until ctx is done, then shuts down in order: intake, the
// scheduler, the workers (with grace), and returns; the caller closes the
// store.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	if a.console != nil {
		// Live-update streams stay open; end them so shutdown need not
		// wait for every browser to leave.
		srv.RegisterOnShutdown(a.console.Close)
	}
	a.web.Listening(ln.Addr().String())
	a.doctorAtStart(ctx)
	if a.cfg.EtcdBackend() {
		e := a.cfg.Store.Etcd
		a.log.Info("store on etcd; offboard takes no backups, compactions or page checks of it", "endpoints", strings.Join(e.Endpoints, ","),
			"prefix", e.Prefix, "instead", etcdToolsAdvice)
	}
	// The chain is anchored as found before anything can add to it (a
	// crash may have left events after the last checkpoint).
	stopAnchor := a.startAnchor()
	defer stopAnchor()
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	a.log.Info("listening", "url", "http://"+ln.Addr().String(), "health", "http://"+ln.Addr().String()+"/healthz",
		"ready", "http://"+ln.Addr().String()+"/readyz")

	// The runner and the schedule work only while this replica leads;
	// the election ends after them (leader.go).
	stopLeading := a.startLeadership()
	defer stopLeading()
	runCtx, stopRunner := context.WithCancel(context.Background())
	defer stopRunner()
	runnerDone := make(chan error, 1)
	grace := a.cfg.Runner.ShutdownGrace.D()
	go func() { runnerDone <- a.runner.Run(runCtx, grace) }()
	a.schedule.Start()
	backupCtx, stopBackups := context.WithCancel(context.Background())
	defer stopBackups()
	backupsDone := make(chan struct{})
	if a.backups != nil && a.cfg.Store.Backup.Every > 0 {
		go func() { defer close(backupsDone); a.backups.run(backupCtx) }()
	} else {
		close(backupsDone)
	}
	erasuresDone := a.startErasures(backupCtx)
	platCtx, stopPlatforms := context.WithCancel(context.Background())
	defer stopPlatforms()
	platformDone := make(chan error, 1)
	if a.slack != nil {
		go func() {
			err := a.slack.Run(platCtx)
			if err != nil {
				a.log.Error("slack stopped; offboard runs on without it", "err", err)
			}
			platformDone <- err
		}()
	} else {
		platformDone <- nil
	}
	// Reconciliation runs once at start too (on etcd: each time this
	// replica begins to lead, as only the leader reconciles): lost
	// webhooks from while offboard was down should not wait an hour.
	// The directory is read first, on every replica: escalations and
	// intake need it, and it is quick.
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		a.refreshDirectory(platCtx)
		if a.reconciler != nil {
			a.eachTerm(platCtx, func(term context.Context) { _, _ = a.reconciler.Run(term) })
		}
	}()
	storeBad := a.checkLargeStore(platCtx)
	// The store is open and the workers and the schedule run: /readyz
	// says so from here until shutdown begins.
	a.web.SetPhase(web.Ready)
	a.log.Info("offboard is up")

	var fatal error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "grace", grace.String())
	case err := <-httpErr:
		a.web.SetPhase(web.Stopping)
		stopRunner()
		<-runnerDone
		stopBackups()
		<-backupsDone
		<-erasuresDone
		return fmt.Errorf("http server: %w", err)
	case fatal = <-storeBad:
		// A damaged file is not worked on: stop as cleanly as it allows.
		a.log.Error("the store file is corrupt; offboard stops", "err", fatal)
	}
	// 0. A load balancer stops sending work while intake closes.
	a.web.SetPhase(web.Stopping)
	// 1. Stop intake: chat and reconciliation first, then HTTP.
	stopPlatforms()
	<-reconciled
	if err := <-platformDone; err != nil {
		a.log.Warn("chat platform stopped with an error", "err", err)
	}
	sctx, cancel := shutdownContext(5 * time.Second)
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Warn("http shutdown", "err", err)
	}
	cancel()
	// No webhook arrives any more: counted refusals go into the chain.
	a.intake.FlushRefusals(context.Background(), true)
	// 2. Stop the scheduler.
	sctx, cancel = shutdownContext(5 * time.Second)
	a.schedule.Stop(sctx)
	cancel()
	// A backup in progress finishes: the store closes after serve returns.
	stopBackups()
	<-backupsDone
	<-erasuresDone
	// 3. Let running jobs finish, up to the grace period.
	stopRunner()
	if err := <-runnerDone; err != nil {
		a.log.Warn("runner stopped with an error", "err", err)
	}
	// Give up the lead (and the lease holding this replica's job claims).
	stopLeading()
	// 4. Anchor the chain as it is left.
	stopAnchor()
	a.log.Info("stopped")
	return fatal
}

// checkLargeStore checks the page tree of a store too large to check
// before starting (store.SyncPageCheckLimit) while offboard runs, and
// sends on the channel it returns if the file is corrupt.
func (a *app) checkLargeStore(ctx context.Context) <-chan error {
	bad := make(chan error, 1)
	file, ok := a.db.(fileStore)
	if !ok || !file.PagesUnchecked() {
		return bad
	}
	a.log.Info("checking the store file's pages in the background (it is large)", "path", file.Path())
	go func() {
		began := time.Now()
		err := file.CheckPages(ctx)
		if _, corrupt := errors.AsType[*store.CorruptError](err); corrupt {
			bad <- withRestoreAdvice(err)
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("the store file's pages could not be checked", "err", err)
			}
			return
		}
		a.log.Info("store file checked", "path", file.Path(), "took", time.Since(began).Round(time.Millisecond))
	}()
	return bad
}

// redactedError is an error whose text had secrets removed; it keeps the
// original in its chain for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// redactError returns err with r's secrets removed from its text (nil
// stays nil; an error without secrets is returned as it is).
func redactError(err error, r *offboard.Redactor) error {
	if err == nil || !r.Contains(err.Error()) {
		return err
	}
	return redactedError{msg: r.String(err.Error()), err: err}
}
