package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/etcdstore"
)

// storeBackend is what the app needs of its store, whichever backend
// holds it: the commands' transactions, the outbox, the chat platforms'
// delivery and batch records, the audit chain (append, read, verify, its
// head and hashes for checkpoints), the counts for /metrics and /readyz's
// ping. The bbolt file's own duties (backups, compaction, page checks,
// index checks, restore) are not in it: fileStore has them.
type storeBackend interface {
	offboard.Store
	offboard.JobQueue
	offboard.DeliveryLog
	offboard.BatchLog
	AuditLog(redactor *offboard.Redactor) offboard.AuditLog
	AuditEvents(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error
	AuditHead(ctx context.Context) (seq uint64, head string, err error)
	AuditHashes(ctx context.Context, seqs []uint64) (map[uint64]string, error)
	VerifyAudit(ctx context.Context) (offboard.AuditVerifyResult, error)
	CaseCounts(ctx context.Context) (map[offboard.CaseStatus]int, error)
	QueueFigures(ctx context.Context, now time.Time) (offboard.QueueFigures, error)
	Ping(ctx context.Context) error
}

var (
	_ storeBackend = (*store.DB)(nil)
	_ storeBackend = (*etcdstore.Store)(nil)
)

// etcdMaxTxnOps is the --max-txn-ops offboard needs of the etcd members
// (README: Store backends): opening a case with a full playbook writes
// a few hundred keys in one transaction, past etcd's default of 128.
const etcdMaxTxnOps = 1024

// etcdCallTimeout bounds each store call on etcd. A healthy cluster
// commits in milliseconds and elects a new leader in about a second (its
// default election timeout); past this the cluster is gone, and a
// command, a worker or a shutdown step gets an error instead of waiting.
const etcdCallTimeout = 5 * time.Second

// etcdToolsAdvice says what takes the place of offboard's file duties on
// etcd; serve logs it once and the bbolt-only commands refuse with it.
const etcdToolsAdvice = "with store.backend etcd, etcd's own tools keep the store: " +
	"etcdctl snapshot save for backups (etcdutl snapshot restore to restore one), etcdctl defrag after compaction, " +
	"and the cluster's --auto-compaction-retention for old revisions"

// errEtcdFileDuty is a bbolt-only command refused on an etcd config.
func errEtcdFileDuty(command string) error {
	return exitError{code: exitUsage, msg: fmt.Sprintf("%s works on the bbolt store file only; %s", command, etcdToolsAdvice)}
}

// openBackend opens the configured store: the bbolt file for serve
// (readOnly false) or for a command that only reads, or etcd. The
// returned close releases it (for etcd, the client).
func openBackend(ctx context.Context, cfg *config.Config, log *slog.Logger, readOnly bool) (storeBackend, func(), error) {
	if cfg.EtcdBackend() {
		s, cli, err := openEtcd(ctx, cfg, log, readOnly)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { _ = cli.Close() }, nil
	}
	var db *store.DB
	var err error
	if readOnly {
		db, err = openStoreReadOnly(cfg)
	} else {
		db, err = openStore(cfg, log)
	}
	if err != nil {
		return nil, nil, err
	}
	return db, func() { _ = db.Close() }, nil
}

// openEtcd connects to store.etcd and opens the store under its prefix.
// A read-only open refuses a prefix that holds no store rather than
// starting one.
func openEtcd(ctx context.Context, cfg *config.Config, log *slog.Logger, readOnly bool) (*etcdstore.Store, *clientv3.Client, error) {
	e := cfg.Store.Etcd
	cli, found, err := dialEtcd(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*etcdstore.Store, *clientv3.Client, error) {
		_ = cli.Close()
		return nil, nil, err
	}
	if readOnly && !found {
		return fail(fmt.Errorf("%s: prefix %q holds no offboard store (has serve run on it?)", etcdWhere(e), e.Prefix))
	}
	dctx, cancel := context.WithTimeout(ctx, e.DialTimeout.D())
	defer cancel()
	s, err := etcdstore.New(dctx, cli, etcdstore.Options{Prefix: e.Prefix, MaxTxnOps: etcdMaxTxnOps, Logger: log,
		CallTimeout: etcdCallTimeout})
	if err != nil {
		return fail(fmt.Errorf("%s: %w", etcdWhere(e), err))
	}
	return s, cli, nil
}

func etcdWhere(e config.Etcd) string {
	return "store.etcd.endpoints " + strings.Join(e.Endpoints, ", ")
}

// dialEtcd connects to the cluster of e and reports whether its prefix
// holds a store. It is bounded by store.etcd.dial_timeout, so an
// unreachable cluster fails naming its endpoints instead of hanging. One
// transaction of etcdMaxTxnOps reads proves the cluster answers and
// accepts transactions as large as offboard's commands. It writes nothing.
func dialEtcd(ctx context.Context, e config.Etcd) (*clientv3.Client, bool, error) {
	where := etcdWhere(e)
	cc := clientv3.Config{Endpoints: e.Endpoints, DialTimeout: e.DialTimeout.D(), Username: e.Username, Password: e.Password.Reveal(),
		// A dead connection is noticed within the dial timeout; the
		// client reconnects by itself when a member is back.
		DialKeepAliveTime: 10 * time.Second, DialKeepAliveTimeout: e.DialTimeout.D(),
		// The client's own retry warnings would go to stderr as JSON,
		// past the redacting log; its errors reach ours in its calls.
		Logger: zap.NewNop()}
	if e.TLS.Enabled() {
		tc, err := e.TLS.Config()
		if err != nil {
			return nil, false, fmt.Errorf("store.etcd.tls: %w", err)
		}
		cc.TLS = tc
	}
	// The client reports a failing TLS handshake as a deadline, and
	// auth errors in etcd's words: say which setting to look at.
	access := etcdstore.Access{Endpoints: e.Endpoints, TLS: cc.TLS, User: e.Username, Prefix: e.Prefix, Timeout: e.DialTimeout.D()}
	cli, err := clientv3.New(cc)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", where, etcdstore.ExplainAccess(ctx, err, access))
	}
	dctx, cancel := context.WithTimeout(ctx, e.DialTimeout.D())
	defer cancel()
	ops := make([]clientv3.Op, etcdMaxTxnOps)
	for i := range ops {
		ops[i] = clientv3.OpGet(e.Prefix+"meta/schema_version", clientv3.WithCountOnly())
	}
	resp, err := cli.Txn(dctx).Then(ops...).Commit()
	if err != nil {
		_ = cli.Close()
	}
	switch {
	case errors.Is(err, rpctypes.ErrTooManyOps):
		return nil, false, fmt.Errorf("%s: the etcd members refuse transactions of %d operations: run them with --max-txn-ops %d (offboard's commands need it)", where, etcdMaxTxnOps, etcdMaxTxnOps)
	case err != nil:
		explained := etcdstore.ExplainAccess(ctx, err, access)
		if dctx.Err() != nil {
			return nil, false, fmt.Errorf("%s: no answer within store.etcd.dial_timeout (%s): %w", where, e.DialTimeout, explained)
		}
		return nil, false, fmt.Errorf("%s: %w", where, explained)
	}
	// A prefix inside another offboard's, or holding an unfinished
	// migration, is refused here too, not only when serve opens it.
	if err := etcdstore.CheckPrefix(dctx, cli, e.Prefix); err != nil {
		_ = cli.Close()
		return nil, false, fmt.Errorf("%s: %w", where, err)
	}
	return cli, resp.Responses[0].GetResponseRange().Count > 0, nil
}

// fileStore is the bbolt store's file: what etcd's own tools do there.
type fileStore interface {
	Path() string
	PagesUnchecked() bool
	CheckPages(ctx context.Context) error
	NeedsCompaction(ctx context.Context) (bool, error)
	Compact(ctx context.Context) (store.CompactReport, error)
	VerifyIndexes(ctx context.Context) ([]store.IndexProblem, error)
}

var _ fileStore = (*store.DB)(nil)

// recoverLeasesAtStart puts back the jobs an earlier crash left leased,
// and returns how many. On bbolt one process owns the file, so every
// lease found at start is a dead process's. On etcd a claim under a
// lease is a live replica's or ends with its lease, and is left alone;
// only claims made without a session (no lease ends them) are released.
func recoverLeasesAtStart(ctx context.Context, db storeBackend) (int, error) {
	switch s := db.(type) {
	case *store.DB:
		return s.RecoverLeases(ctx)
	case *etcdstore.Store:
		return s.RecoverLeases(ctx)
	}
	return 0, nil
}

// tickBatchFor is the engine's Options.TickBatch for the store: etcd's
// transactions are bounded (etcdstore.TickBatch), bbolt's are not (0:
// the engine's default).
func tickBatchFor(db storeBackend) int {
	if _, ok := db.(*etcdstore.Store); ok {
		return etcdstore.TickBatch
	}
	return 0
}

// openConfiguredBackend is openConfiguredStore for the commands that
// read the audit chain: a named file (override) is always a bbolt file;
// otherwise the configured store, etcd included, opened to read.
func openConfiguredBackend(ctx context.Context, cfgPath, override string) (storeBackend, func(), error) {
	if override != "" {
		db, err := openConfiguredStore(cfgPath, override)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { _ = db.Close() }, nil
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	return openBackend(ctx, cfg, discardLogger(), true)
}

// etcdDoctor checks that the etcd cluster answers, as serve would dial it.
func etcdDoctor(ctx context.Context, cfg *config.Config) offboard.CheckResult {
	cli, found, err := dialEtcd(ctx, cfg.Store.Etcd)
	if err != nil {
		return offboard.CheckFailed("Store", redactorFor(cfg).String(err.Error()),
			"check store.etcd (endpoints, TLS, user) and that the members run with --max-txn-ops 1024")
	}
	_ = cli.Close()
	detail := fmt.Sprintf("etcd answers at %s; prefix %s is empty (serve starts a store there)", strings.Join(cfg.Store.Etcd.Endpoints, ","), cfg.Store.Etcd.Prefix)
	if found {
		detail = fmt.Sprintf("etcd answers at %s; prefix %s holds a store", strings.Join(cfg.Store.Etcd.Endpoints, ","), cfg.Store.Etcd.Prefix)
	}
	return offboard.CheckOf("Store", detail)
}

// refuseFileBackup answers POST /api/v1/admin/backup on etcd: offboard
// copies the bbolt file only, and says what to use instead.
func refuseFileBackup(context.Context, offboard.Actor) (offboard.BackupReport, error) {
	return offboard.BackupReport{}, offboard.Errorf(offboard.ECONFLICT, "offboard backs up the bbolt store file only; %s", etcdToolsAdvice)
}
