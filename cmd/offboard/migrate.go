package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/etcdstore"
)

const migrateSynopsis = "migrate --from bbolt:PATH --to etcd:HOST:PORT[,HOST:PORT…] [flags]\n\n" +
	"Copy a stopped offboard's store file into an etcd cluster, for running several replicas (store.backend: etcd).\n" +
	"Every record is copied as it is: cases, tasks, approvals, jobs, dead letters, dedupe keys, personal data and\n" +
	"its keys, the audit trail byte for byte (same hashes, same head), the indexes, batch and delivery records and\n" +
	"the counters. Jobs a worker held when offboard stopped go back in the queue.\n\n" +
	"Before copying it checks the file, its audit chain and its indexes, and refuses a store that fails; it\n" +
	"refuses a target prefix that holds anything, and a file that a running offboard serve holds (stop it first).\n" +
	"After copying it verifies the chain in etcd and compares the records of every kind and the head hash.\n" +
	"The file is opened read-only and never changed: keep it as the backup of the moment you migrated.\n" +
	"Exit 0: copied and verified. Exit 1: refused or failed (the message says what to do). Exit 2: bad flags.\n\n" +
	"TLS and authentication are flags here (--cacert, --cert, --key, --user, --password-file); the config file's\n" +
	"store.etcd settings are not read by this command."

// migrateProgressEvery is how many keys pass between progress lines.
const migrateProgressEvery = 5000

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: offboard %s\n\nFlags:\n", migrateSynopsis)
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "the source: bbolt:PATH, the store file (store.path) of a stopped offboard")
	to := fs.String("to", "", "the target: etcd:ENDPOINTS, client addresses of the cluster's members separated by commas (host:port, or https://host:port)")
	prefix := fs.String("prefix", etcdstore.DefaultPrefix, "the key prefix of the store in etcd (store.etcd.prefix); it must be empty")
	dryRun := fs.Bool("dry-run", false, "check both sides and count what would be copied; write nothing")
	maxTxnOps := fs.Int("max-txn-ops", 1024, "the members' --max-txn-ops: no import transaction is larger (nor larger than 500)")
	dialTimeout := fs.Duration("dial-timeout", 5*time.Second, "how long to wait for a member to answer")
	lockTimeout := fs.Duration("lock-timeout", store.DefaultLockTimeout, "how long to wait for the store file's lock")
	caFile := fs.String("cacert", "", "PEM file of the CA that signed the members' certificates (TLS)")
	certFile := fs.String("cert", "", "PEM client certificate, for members that require one (with --key)")
	keyFile := fs.String("key", "", "PEM key of --cert")
	user := fs.String("user", "", "etcd user name, when the cluster has authentication on")
	passwordFile := fs.String("password-file", "", "file holding --user's password")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	path, ok := strings.CutPrefix(*from, "bbolt:")
	if !ok || path == "" {
		return fmt.Errorf("%w: --from must be bbolt:PATH (the store file), not %q", errUsage, *from)
	}
	eps, err := parseEndpoints(*to)
	if err != nil {
		return err
	}
	if *prefix == "" || !strings.HasSuffix(*prefix, "/") {
		return fmt.Errorf("%w: --prefix must end with \"/\" (it is %q), so that one store's keys never run into another's", errUsage, *prefix)
	}
	if *maxTxnOps < 1 {
		return fmt.Errorf("%w: --max-txn-ops must be at least 1", errUsage)
	}
	m := migration{out: stdout, path: path, endpoints: eps, prefix: *prefix, dryRun: *dryRun, maxTxnOps: *maxTxnOps, lockTimeout: *lockTimeout}
	if m.cfg, err = etcdClientConfig(eps, *dialTimeout, *caFile, *certFile, *keyFile, *user, *passwordFile); err != nil {
		return err
	}
	return m.run(ctx)
}

// parseEndpoints reads etcd:A,B,C.
func parseEndpoints(to string) ([]string, error) {
	list, ok := strings.CutPrefix(to, "etcd:")
	if !ok || strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("%w: --to must be etcd:ENDPOINTS (host:port of each member, separated by commas), not %q", errUsage, to)
	}
	var eps []string
	for _, e := range strings.Split(list, ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("%w: --to names no endpoint", errUsage)
	}
	return eps, nil
}

// etcdClientConfig builds the client's configuration; the password is
// read from a file so that it never sits in a shell history or ps.
func etcdClientConfig(eps []string, dial time.Duration, caFile, certFile, keyFile, user, passwordFile string) (clientv3.Config, error) {
	cfg := clientv3.Config{Endpoints: eps, DialTimeout: dial, Logger: zap.NewNop()}
	if (certFile == "") != (keyFile == "") {
		return cfg, fmt.Errorf("%w: --cert and --key go together", errUsage)
	}
	if caFile != "" || certFile != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return cfg, fmt.Errorf("read --cacert: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return cfg, fmt.Errorf("--cacert %s holds no PEM certificate", caFile)
			}
		}
		if certFile != "" {
			cert, err := os.ReadFile(certFile)
			if err != nil {
				return cfg, fmt.Errorf("read --cert: %w", err)
			}
			key, err := config.ReadSecretFile(keyFile)
			if err != nil {
				return cfg, fmt.Errorf("read --key: %w", err)
			}
			pair, err := tls.X509KeyPair(cert, []byte(key))
			if err != nil {
				return cfg, fmt.Errorf("--cert and --key are no key pair: %w", err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		cfg.TLS = tc
	}
	if (user == "") != (passwordFile == "") {
		return cfg, fmt.Errorf("%w: --user and --password-file go together", errUsage)
	}
	if user != "" {
		password, err := config.ReadSecretFile(passwordFile)
		if err != nil {
			return cfg, fmt.Errorf("read --password-file: %w", err)
		}
		cfg.Username, cfg.Password = user, password
	}
	return cfg, nil
}

// migration is one run of offboard migrate.
type migration struct {
	out         io.Writer
	path        string
	endpoints   []string
	prefix      string
	dryRun      bool
	maxTxnOps   int
	lockTimeout time.Duration
	cfg         clientv3.Config
}

func (m *migration) say(format string, args ...any) { fmt.Fprintf(m.out, format+"\n", args...) }

func (m *migration) run(ctx context.Context) error {
	began := time.Now()
	m.say("Source: %s", m.path)
	db, err := store.Open(m.path, store.Options{ReadOnly: true, CheckContents: true, LockTimeout: m.lockTimeout})
	if err != nil {
		if le, ok := errors.AsType[*store.LockedError](err); ok {
			return fmt.Errorf("%s is held by a running offboard (waited %s): stop offboard serve first, so that nothing "+
				"it writes after the copy is lost, then run migrate again", le.Path, le.Waited)
		}
		return withRestoreAdvice(err)
	}
	defer db.Close()
	m.say("  file checked: every page and key reads back")
	src, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !src.OK {
		return fmt.Errorf("the source's audit chain is BROKEN at event %d: %s (%d events checked). Nothing was copied: "+
			"a migration would carry the damage into etcd. Investigate with offboard audit verify, or restore a backup", src.BadSeq, src.Problem, src.Events)
	}
	m.say("  audit chain OK: %d events, head %s", src.Events, short(src.HeadHash))
	problems, err := db.VerifyIndexes(ctx)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("the source's indexes disagree with its records (%d problems, first: %v). Nothing was copied; "+
			"offboard audit verify lists them", len(problems), problems[0])
	}
	m.say("  indexes agree with the records")

	m.say("Target: etcd %s, prefix %q", strings.Join(m.endpoints, ","), m.prefix)
	access := etcdstore.Access{Endpoints: m.endpoints, TLS: m.cfg.TLS, User: m.cfg.Username, Prefix: m.prefix, Timeout: m.cfg.DialTimeout}
	cli, err := clientv3.New(m.cfg)
	if err != nil {
		return fmt.Errorf("connect to etcd %s: %w", strings.Join(m.endpoints, ","), etcdstore.ExplainAccess(ctx, err, access))
	}
	defer cli.Close()
	if err := m.probe(ctx, cli, access); err != nil {
		return err
	}
	im, err := etcdstore.NewImport(ctx, cli, m.prefix, m.maxTxnOps)
	if err != nil {
		return err
	}
	m.say("  the prefix is empty")

	source := map[string]int{}
	copyKinds := etcdstore.ImportKinds()
	count := func(r store.ExportRecord) {
		if slices.Contains(copyKinds, r.Kind) {
			source[r.Kind]++
		}
	}
	if m.dryRun {
		if err := db.Export(ctx, func(r store.ExportRecord) error { count(r); return nil }); err != nil {
			return err
		}
		m.table(source, nil, nil)
		m.say("Dry run: nothing was written. Run again without --dry-run to copy.")
		return nil
	}

	m.say("Copying…")
	next := migrateProgressEvery
	im.Progress = func(written int) {
		if written >= next {
			m.say("  %d keys written (%s)", written, time.Since(began).Round(100*time.Millisecond))
			next = written + migrateProgressEvery
		}
	}
	err = db.Export(ctx, func(r store.ExportRecord) error {
		count(r)
		return im.Add(etcdstore.Record{Kind: r.Kind, Key: r.Key, Value: r.Value})
	})
	if err == nil {
		err = im.Finish()
	}
	if err != nil {
		return fmt.Errorf("%w\n  The copy did not finish: the prefix %q holds part of it and no offboard will open it. "+
			"Remove it (etcdctl del --prefix %q) and run migrate again", err, m.prefix, m.prefix)
	}
	m.say("  %d keys written", im.Written)
	if im.Requeued > 0 {
		m.say("  %d jobs a worker held when offboard stopped are back in the queue", im.Requeued)
	}

	m.say("Verifying the copy…")
	es, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: m.prefix, MaxTxnOps: m.maxTxnOps})
	if err != nil {
		return err
	}
	dst, err := es.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	target, err := es.CountKinds(ctx)
	if err != nil {
		return err
	}
	// Requeued jobs gain a queue entry the source did not have.
	mismatch := m.table(source, target, map[string]int{"jobq": im.Requeued})
	switch {
	case !dst.OK:
		return fmt.Errorf("the copy's audit chain does not verify in etcd: event %d: %s. Remove the prefix (etcdctl del --prefix %q) "+
			"and keep running on the file", dst.BadSeq, dst.Problem, m.prefix)
	case dst.Events != src.Events || dst.HeadHash != src.HeadHash:
		return fmt.Errorf("the copy's audit chain differs: %d events, head %s in etcd; %d, head %s in the file. Remove the prefix "+
			"(etcdctl del --prefix %q) and keep running on the file", dst.Events, short(dst.HeadHash), src.Events, short(src.HeadHash), m.prefix)
	case len(mismatch) > 0:
		return fmt.Errorf("the copy differs from the file in %s (see the table). Remove the prefix (etcdctl del --prefix %q) "+
			"and keep running on the file", strings.Join(mismatch, ", "), m.prefix)
	}
	m.say("  audit chain OK in etcd: %d events, the same head %s", dst.Events, short(dst.HeadHash))
	m.say("Done in %s: the store is in etcd and verified.", time.Since(began).Round(100*time.Millisecond))
	m.say("Next: point every replica at it (store.backend: etcd, the same endpoints and prefix) and start them;")
	m.say("keep %s, unchanged, as the backup of this moment.", m.path)
	return nil
}

// probe sends one transaction of --max-txn-ops reads before anything is
// written, so that a cluster that refuses the import's transactions, or
// this user, or the TLS settings, is refused with nothing copied.
func (m *migration) probe(ctx context.Context, cli *clientv3.Client, access etcdstore.Access) error {
	pctx, cancel := context.WithTimeout(ctx, m.cfg.DialTimeout)
	defer cancel()
	ops := make([]clientv3.Op, m.maxTxnOps)
	for i := range ops {
		ops[i] = clientv3.OpGet(m.prefix+"meta/schema_version", clientv3.WithCountOnly())
	}
	_, err := cli.Txn(pctx).Then(ops...).Commit()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rpctypes.ErrTooManyOps):
		return fmt.Errorf("the etcd members refuse transactions of %d operations (--max-txn-ops): run them with --max-txn-ops %d, "+
			"which serve needs too; nothing was copied", m.maxTxnOps, etcdMaxTxnOps)
	}
	return fmt.Errorf("etcd %s: %w; nothing was copied", strings.Join(m.endpoints, ","), etcdstore.ExplainAccess(ctx, err, access))
}

// table prints the records per kind (source, and target when known) and
// returns the kinds whose counts differ from the source's plus added.
func (m *migration) table(source, target, added map[string]int) []string {
	kinds := etcdstore.ImportKinds()
	slices.Sort(kinds)
	tw := tabwriter.NewWriter(m.out, 0, 0, 2, ' ', 0)
	if target == nil {
		fmt.Fprintln(tw, "  records\tin the file\t")
	} else {
		fmt.Fprintln(tw, "  records\tin the file\tin etcd\t\t")
	}
	var differ []string
	total := 0
	for _, k := range kinds {
		total += source[k]
		if target == nil {
			fmt.Fprintf(tw, "  %s\t%d\t\n", k, source[k])
			continue
		}
		mark := "ok"
		if target[k] != source[k]+added[k] {
			mark = "DIFFERS"
			differ = append(differ, k)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t\n", k, source[k], target[k], mark)
	}
	fmt.Fprintf(tw, "  total\t%d\t\n", total)
	_ = tw.Flush()
	return differ
}

// short is a hash's first 16 hex digits, enough to compare by eye.
func short(hash string) string {
	if len(hash) > 16 {
		return hash[:16] + "…"
	}
	if hash == "" {
		return "(none: no events)"
	}
	return hash
}
