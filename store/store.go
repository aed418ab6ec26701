package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/offboard-dev/offboard"
)

// SchemaVersion is the layout version this code reads and writes. A file
// written by a newer offboard is refused rather than misread.
const SchemaVersion = 1

// DefaultLockTimeout is how long Open waits for another process to release
// the file lock before giving up, when Options.LockTimeout is zero; serve
// passes store.lock_timeout (the same by default).
const DefaultLockTimeout = 2 * time.Second

// Bucket and meta key names. See the package documentation for the layout.
var (
	bucketMeta           = []byte("meta")
	bucketCases          = []byte("cases")
	bucketTasks          = []byte("tasks")
	bucketApprovals      = []byte("approvals")
	bucketApprovalsCase  = []byte("approvals_by_case")
	bucketAudit          = []byte("audit")
	bucketAuditCase      = []byte("audit_by_case")
	bucketJobs           = []byte("jobs")
	bucketJobQueue       = []byte("jobq")
	bucketJobsCase       = []byte("jobs_by_case")
	bucketDead           = []byte("dead")
	bucketDedupe         = []byte("dedupe")
	bucketIdxEmail       = []byte("idx_email")
	bucketIdxStatus      = []byte("idx_status")
	bucketIdxDue         = []byte("idx_due")
	metaSchemaVersionKey = []byte("schema_version")
	metaAuditHeadKey     = []byte("audit_head")
)

// allBuckets are created by Open.
func allBuckets() [][]byte {
	return [][]byte{
		bucketMeta, bucketCases, bucketTasks, bucketApprovals, bucketApprovalsCase,
		bucketAudit, bucketAuditCase, bucketJobs, bucketJobQueue, bucketJobsCase,
		bucketDead, bucketDedupe, bucketIdxEmail, bucketIdxStatus, bucketIdxDue,
	}
}

// Options configure Open.
type Options struct {
	// LockTimeout is how long to wait for the file lock another process
	// holds; zero or less means DefaultLockTimeout. Never waits forever.
	LockTimeout time.Duration
	// Logger receives store events; nil discards them.
	Logger *slog.Logger
	// ReadOnly opens an existing file without writing a byte to it: no
	// file is created, no schema is written, and the lock is shared, so
	// it still waits for a running serve. Writes fail.
	ReadOnly bool
	// Check reads the page tree and the free list with plain reads
	// before bbolt maps the file (checkPages) and refuses a damaged one,
	// so no later read through the map can fault. Plain reads leave the
	// file out of the process's resident memory, which serve needs. A
	// file larger than SyncPageCheckLimit gets only its meta pages and
	// size checked before Open returns (a large store must not hold up
	// the start: a second per 50,000 cases); its page tree is left to
	// CheckPages, which serve runs right after start (PagesUnchecked).
	Check bool
	// CheckContents also reads every key and value through bbolt and runs
	// its consistency check (checkFile) before Open returns: a second
	// read of the file, through the map, so every page becomes resident.
	// For the evidence commands, which read everything anyway.
	CheckContents bool
	// SyncCheckLimit overrides SyncPageCheckLimit when positive.
	SyncCheckLimit int64
	// MapResidentBudget is how far the process's file-backed resident
	// memory may grow with reads of the store file before the store
	// releases the map's pages (maprelease.go): zero means
	// DefaultMapResidentBudget, negative never.
	MapResidentBudget int64
}

// SyncPageCheckLimit is the largest file whose page tree Options.Check
// reads before Open returns; about 10,000 cases with their history.
const SyncPageCheckLimit = 64 << 20

// DB is the bbolt-backed store. It implements offboard.Store; the other
// exported methods serve the CLI, the web server and the worker pool. A DB
// is safe for concurrent use.
type DB struct {
	bolt   *bolt.DB
	path   string
	logger *slog.Logger
	// writers counts Update calls in progress; see Update.
	writers atomic.Int32
	// pagesUnchecked says Open left the page tree to CheckPages.
	pagesUnchecked bool
	// deliveredPruned is when MarkDelivered last dropped expired markers
	// (Unix nanoseconds).
	deliveredPruned atomic.Int64
	// batchesPruned is the same for SaveBatchSummary (batches.go).
	batchesPruned atomic.Int64
	// swap is held shared by every transaction and exclusively by Compact
	// while it replaces bolt (compact.go).
	swap sync.RWMutex
	// commits counts write transactions begun; compacting serializes
	// Compact calls (compact.go).
	commits    atomic.Uint64
	compacting sync.Mutex
	// readCursors counts the cursors View transactions opened
	// (ReadCursors).
	readCursors atomic.Uint64
	// The map's resident pages (maprelease.go): the budget (0: never
	// release), transactions since the last look, the file-backed
	// resident bytes after the last release, releases made, and whether
	// one is under way.
	mapBudget    atomic.Int64
	txSinceCheck atomic.Uint64
	mapBaseline  atomic.Int64
	mapReleases  atomic.Uint64
	releasing    atomic.Bool
	releaseWG    sync.WaitGroup
}

var _ offboard.Store = (*DB)(nil)

// LockedError is returned by Open when another process holds the file.
// It unwraps to bbolt's ErrTimeout.
type LockedError struct {
	Path   string
	Waited time.Duration
	// ReadOnly is set when a read-only open was refused.
	ReadOnly bool
}

func (e *LockedError) Error() string {
	if e.ReadOnly {
		return fmt.Sprintf("store %s is locked by another offboard process (waited %s); stop it, or read a copy of the file (audit commands take --store COPY)", e.Path, e.Waited)
	}
	return fmt.Sprintf("store %s is locked by another offboard process (waited %s); stop it or use another store.path", e.Path, e.Waited)
}

func (e *LockedError) Unwrap() error { return bolterrors.ErrTimeout }

// Open opens or creates the store file at path (mode 0600), creates the
// buckets and checks the schema version; with opts.ReadOnly it opens an
// existing file only and changes nothing. If another process holds the
// file, Open fails with a *LockedError after opts.LockTimeout; a damaged
// file is a *CorruptError.
func Open(path string, opts Options) (*DB, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	pagesUnchecked, err := checkBeforeMapping(path, timeout, opts)
	if err != nil {
		return nil, err
	}
	var bdb *bolt.DB
	var file *os.File
	// bbolt reads the meta pages and the free list while opening; should
	// the file have changed since the check, it can panic or fault there.
	err = withFaultsAsPanics(path, func() (err error) {
		bdb, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly, PreLoadFreelist: true,
			OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, perm)
				file = f
				return f, err
			}})
		return err
	})
	_, panicked := errors.AsType[*CorruptError](err)
	if panicked && file != nil {
		// bbolt never returned its handle: release the lock it took. (Its
		// memory map of the file stays until the process ends.)
		unlockFile(file)
		_ = file.Close()
	}
	switch {
	case panicked:
		return nil, err
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, &LockedError{Path: path, Waited: timeout, ReadOnly: opts.ReadOnly}
	case errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, corrupt(path, "bbolt cannot open it: %v", err)
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, logger: logger, pagesUnchecked: pagesUnchecked}
	db.mapBudget.Store(cmp.Or(opts.MapResidentBudget, DefaultMapResidentBudget))
	if resident, ok := fileResident(); ok {
		db.mapBaseline.Store(resident)
	}
	fail := func(err error) (*DB, error) {
		_ = bdb.Close()
		return nil, err
	}
	if opts.CheckContents {
		if err := db.checkFile(); err != nil {
			return fail(err)
		}
	}
	if opts.Check || opts.CheckContents {
		// A large file takes seconds; say where the start-up time went.
		logger.Info("store file checked", "path", path, "took", time.Since(start).Round(time.Millisecond))
	}
	// Group commit waits at most this long to gather concurrent writers.
	bdb.MaxBatchDelay = 2 * time.Millisecond
	if opts.ReadOnly {
		err = bdb.View(func(btx *bolt.Tx) error { return checkSchema(path, btx) })
	} else {
		err = bdb.Update(func(btx *bolt.Tx) error { return initSchema(path, btx) })
	}
	if err != nil {
		if _, ok := errors.AsType[*CorruptError](err); ok {
			return fail(err)
		}
		return fail(fmt.Errorf("store %s: %w", path, err))
	}
	logger.Debug("store opened", "path", path, "schema_version", SchemaVersion, "read_only", opts.ReadOnly)
	return db, nil
}

// checkBeforeMapping checks an existing file with plain reads, under a
// shared lock, before bbolt maps it: the meta pages and the file size
// always, and with opts.Check the whole page tree and the free list
// (checkPages), unless the file is too large to check before starting:
// then it says the pages are unchecked. A read-only open of a missing
// file fails here.
func checkBeforeMapping(path string, timeout time.Duration, opts Options) (pagesUnchecked bool, err error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && opts.ReadOnly:
		return false, fmt.Errorf("no store at %s: %w", path, err)
	case errors.Is(err, fs.ErrNotExist):
		return false, nil // Open creates it
	case err != nil:
		return false, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("store: open %s: %w", path, err)
	}
	if info.Size() == 0 {
		if opts.ReadOnly {
			return false, corrupt(path, "it is empty")
		}
		return false, nil // bbolt writes the first pages
	}
	ok, err := lockShared(f, timeout)
	if err != nil {
		return false, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if !ok {
		return false, &LockedError{Path: path, Waited: timeout, ReadOnly: opts.ReadOnly}
	}
	defer unlockFile(f)
	m, err := checkFileHeader(path, f)
	switch {
	case err != nil || !opts.Check && !opts.CheckContents:
		return false, err
	case !opts.CheckContents && info.Size() > cmp.Or(opts.SyncCheckLimit, SyncPageCheckLimit):
		return true, nil
	}
	return false, checkPages(context.Background(), path, f, m)
}

// PagesUnchecked reports whether Open left the page tree of a large file
// unchecked; run CheckPages then.
func (db *DB) PagesUnchecked() bool { return db.pagesUnchecked }

// CheckPages checks the page tree and the free list of the open file
// with plain reads, as Options.Check does before mapping, while offboard
// runs: it holds a read transaction, so bbolt reuses none of the pages
// that transaction sees, and walks the tree of the meta page with that
// transaction's id. It returns nil or a *CorruptError.
func (db *DB) CheckPages(ctx context.Context) error {
	// Two commits between the start of the transaction and the read of
	// the meta pages overwrite both; the next try sees its own.
	for try := 0; try < 10; try++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		found := false
		err := db.view(func(btx *bolt.Tx) error {
			f, err := os.Open(db.path)
			if err != nil {
				return fmt.Errorf("store: check %s: %w", db.path, err)
			}
			defer f.Close()
			metas, err := checkMetaPages(db.path, f)
			if err != nil {
				return err
			}
			for _, m := range metas {
				if m.txid == uint64(btx.ID()) {
					found = true
					return checkPages(ctx, db.path, f, m)
				}
			}
			return nil
		})
		if err != nil || found {
			return err
		}
	}
	return fmt.Errorf("store: check %s: the file changed under every try; writes are too frequent to check it now", db.path)
}

// checkSchema checks the schema version and that every bucket exists. A
// file without a version has never been opened by offboard. It returns
// whether the file has a version.
func checkSchema(path string, btx *bolt.Tx) error {
	versioned, err := checkVersion(path, btx)
	if err != nil {
		return err
	}
	if !versioned {
		return corrupt(path, "it has no schema version: it is not an offboard store")
	}
	return checkBuckets(path, btx)
}

// checkVersion refuses a file of a newer schema and reports whether the
// file has a version at all.
func checkVersion(path string, btx *bolt.Tx) (bool, error) {
	meta := btx.Bucket(bucketMeta)
	if meta == nil {
		return false, nil
	}
	v := meta.Get(metaSchemaVersionKey)
	if v == nil {
		return false, nil
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	switch {
	case err != nil || n == 0:
		return true, corrupt(path, "its schema version %q is not a version", v)
	case n > SchemaVersion:
		return true, fmt.Errorf("the file has schema version %d, but this offboard knows schema version %d at most; run a newer offboard", n, SchemaVersion)
	}
	return true, nil
}

func checkBuckets(path string, btx *bolt.Tx) error {
	for _, name := range allBuckets() {
		if btx.Bucket(name) == nil {
			return corrupt(path, "bucket %s is missing", name)
		}
	}
	return nil
}

// initSchema checks the schema version, then creates every bucket in a
// new file. A file that has a version already has every bucket; one
// missing is damage, not something to paper over with an empty bucket.
func initSchema(path string, btx *bolt.Tx) error {
	versioned, err := checkVersion(path, btx)
	if err != nil {
		return err
	}
	if versioned {
		return checkBuckets(path, btx)
	}
	for _, name := range allBuckets() {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if err := initTimeIndexes(btx); err != nil {
		return err
	}
	return btx.Bucket(bucketMeta).Put(metaSchemaVersionKey, []byte(strconv.Itoa(SchemaVersion)))
}

// Close releases the file and its lock.
func (db *DB) Close() error {
	db.releaseWG.Wait()
	db.swap.Lock()
	defer db.swap.Unlock()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Path is the file the store lives in.
func (db *DB) Path() string { return db.path }

// Update runs fn in one read-write transaction; an error from fn rolls
// back everything fn wrote. fn must not make network calls, must not call
// View or Update on the same DB, and may run more than once (see below),
// so it must keep no state outside itself between runs.
//
// Commits are fsynced, and one fsync costs far more than the work of a
// typical command. When another Update is already in progress, fn joins a
// group commit (bbolt's Batch): concurrent callers share one transaction
// and one fsync. If fn fails inside a group, the group is rolled back and
// retried without it, and fn runs again alone to report its error — the
// reason fn may run more than once. A lone caller commits directly, with
// no batching delay.
func (db *DB) Update(ctx context.Context, fn func(offboard.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	run := func(btx *bolt.Tx) error {
		t := &tx{btx: btx}
		defer t.end()
		return fn(t)
	}
	defer db.afterTx()
	busy := db.writers.Add(1) > 1
	defer db.writers.Add(-1)
	if busy {
		return db.batch(run)
	}
	return db.update(run)
}

// View runs fn in a read-only transaction; the Tx's write methods return
// an error. Views run concurrently with each other and with an Update.
func (db *DB) View(ctx context.Context, fn func(offboard.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer db.afterTx()
	return db.view(func(btx *bolt.Tx) error {
		t := &tx{btx: btx}
		defer t.end()
		defer func() { st := btx.Stats(); db.readCursors.Add(uint64(st.GetCursorCount())) }()
		return fn(t)
	})
}

// ReadCursors counts the B-tree descents (bbolt cursors: one per Get,
// range or bucket lookup) that View transactions made since Open. Each
// descent reads pages of the map, which count in the process's resident
// memory, so tests bound what a query reads with it rather than with a
// time.
func (db *DB) ReadCursors() uint64 { return db.readCursors.Load() }

// Ping reads the schema version: a cheap liveness check for /healthz.
func (db *DB) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.view(func(btx *bolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		if meta == nil || meta.Get(metaSchemaVersionKey) == nil {
			return fmt.Errorf("store %s: meta bucket is missing its schema version", db.path)
		}
		return nil
	})
}

// Backup writes a consistent copy of the whole file to w without blocking
// writers, and returns the number of bytes written.
//
// The copy is of the file's pages, free ones included, so after an
// erasure that no Compact has followed yet it would carry the erased
// bytes along: then the store is compacted first, and the backup is
// refused if that fails.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	errErased := errors.New("erased, not compacted")
	for try := 0; ; try++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		var n int64
		err := db.view(func(btx *bolt.Tx) error {
			// The mark is in the snapshot exactly when an erasure it
			// holds has left old bytes in its free pages.
			if btx.Bucket(bucketMeta).Get(metaErasedUncompacted) != nil {
				return errErased
			}
			var err error
			n, err = btx.WriteTo(w)
			return err
		})
		if errors.Is(err, errErased) {
			if try == compactTries {
				return 0, fmt.Errorf("store: backup %s: personal data keeps being erased while the backup waits for a compaction; try again", db.path)
			}
			if _, err := db.Compact(ctx); err != nil {
				return 0, fmt.Errorf("store: backup %s: erased personal data is still in the file's free pages and compacting it failed, so no copy is made: %w", db.path, err)
			}
			continue
		}
		if err != nil {
			return n, fmt.Errorf("store: backup %s: %w", db.path, err)
		}
		return n, nil
	}
}

// Stats are counts for /healthz, the dashboard and the CLI.
type Stats struct {
	// Cases counts cases by status.
	Cases map[offboard.CaseStatus]int `json:"cases"`
	// CasesTotal is the sum of Cases.
	CasesTotal int `json:"cases_total"`
	// QueuedJobs wait for a worker; LeasedJobs are held by one.
	QueuedJobs int `json:"queued_jobs"`
	LeasedJobs int `json:"leased_jobs"`
	DeadJobs   int `json:"dead_jobs"`
	// AuditEvents is the number of events ever appended.
	AuditEvents uint64 `json:"audit_events"`
	// SizeBytes is the size of the data in the file.
	SizeBytes int64 `json:"size_bytes"`
}

// Stats counts cases by status, jobs and audit events in one read
// transaction. It walks the status index and the job buckets, not the
// records.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	s := Stats{Cases: map[offboard.CaseStatus]int{}}
	err := db.view(func(btx *bolt.Tx) error {
		// Keys are grouped by status: count each run without allocating.
		c := btx.Bucket(bucketIdxStatus).Cursor()
		var prefix []byte
		n := 0
		for k, _ := c.First(); ; k, _ = c.Next() {
			if k != nil && prefix != nil && bytes.HasPrefix(k, prefix) {
				n++
				continue
			}
			if prefix != nil {
				s.Cases[offboard.CaseStatus(prefix[:len(prefix)-1])] = n
				s.CasesTotal += n
			}
			if k == nil {
				break
			}
			st, _, _ := bytes.Cut(k, []byte{0})
			prefix, n = prefixKey(string(st)), 1
		}
		s.QueuedJobs = countKeys(btx.Bucket(bucketJobQueue))
		s.LeasedJobs = countKeys(btx.Bucket(bucketJobs)) - s.QueuedJobs
		s.DeadJobs = countKeys(btx.Bucket(bucketDead))
		s.AuditEvents = btx.Bucket(bucketAudit).Sequence()
		s.SizeBytes = btx.Size()
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	return s, nil
}

func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// CaseCounts counts cases by status (Stats' Cases), for /metrics.
func (db *DB) CaseCounts(ctx context.Context) (map[offboard.CaseStatus]int, error) {
	s, err := db.Stats(ctx)
	return s.Cases, err
}
