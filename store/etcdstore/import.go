package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// Record is one key of a bbolt store being migrated, as the bbolt
// store's Export walks it: Kind is the bbolt bucket ("cases",
// "idx_email", … or "sequence" for a bucket's counter), Key and Value
// its bytes.
type Record struct {
	Kind  string
	Key   []byte
	Value []byte
}

// MaxImportBatch bounds the operations of one import transaction.
const MaxImportBatch = 500

// MaxImportBytes bounds the keys and values of one import transaction,
// well under etcd's default --max-request-bytes (1.5 MiB): five hundred
// records of a few KiB each (tasks with their evidence, audit events)
// would pass it. A single record larger than this goes alone.
const MaxImportBytes = 1 << 20

// bboltKind says where a bbolt bucket's keys go: the etcd kind, and
// whether they are index entries (empty in bbolt, indexMark here, since
// an empty value is a tombstone in this store).
type bboltKind struct {
	kind  string
	index bool
}

// fromBbolt maps every bucket of the bbolt layout (store/doc.go) to this
// one; the key bytes after the kind are the same in both.
var fromBbolt = map[string]bboltKind{
	"cases":             {kindCases, false},
	"tasks":             {kindTasks, false},
	"approvals":         {kindApprovals, false},
	"approvals_by_case": {kindApprovalsCase, true},
	"audit":             {kindAudit, false},
	"audit_by_case":     {kindAuditCase, true},
	"jobs":              {kindJobs, false},
	"jobq":              {kindJobQueue, true},
	"jobs_by_case":      {kindJobsCase, true},
	"dead":              {kindDead, false},
	"dedupe":            {kindDedupe, false},
	"idx_email":         {kindIdxEmail, true},
	"idx_status":        {kindIdxStatus, true},
	"idx_due":           {kindIdxDue, true},
	"idx_wake":          {kindIdxWake, true},
	"wake_by_case":      {kindWakeByCase, false},
	"personal":          {kindPersonal, false},
	// The layout of delivered.go and batches.go, which is bbolt's too.
	"delivered": {kindDelivered, false},
	"batches":   {kindBatches, false},
}

// bboltOnly are bbolt buckets derived from the cases that this store does
// not keep, so an import leaves them out: the indexes of cases by
// revocation and closing time (store/timeindex.go), which on etcd the
// digest and the retention check replace by reading the closed cases.
var bboltOnly = map[string]bool{"idx_revoked": true, "idx_closed": true}

// ImportKinds are the bbolt buckets an import copies, for counting.
func ImportKinds() []string {
	out := make([]string, 0, len(fromBbolt))
	for k := range fromBbolt {
		out = append(out, k)
	}
	return out
}

// Import copies a bbolt store into an empty prefix of an etcd cluster.
//
// It is not a command and bypasses the engine on purpose: it moves
// records the engine already decided and audited, byte for byte (the
// audit chain keeps its hashes and head only so), where replaying them
// as commands would decide again, at a new time, with new audit events.
// It runs with serve stopped on the source and nothing yet on the
// target: the target prefix must be empty, and stays unusable until
// Finish writes the schema version last (New refuses a prefix with keys
// but no version).
type Import struct {
	ctx    context.Context
	cli    *clientv3.Client
	prefix string
	batch  int
	ops    []clientv3.Op
	// bytes is the keys' and values' size in ops.
	bytes int

	// Copied counts the records added per bbolt kind.
	Copied map[string]int
	// Requeued counts the jobs leased in the source (a worker was
	// running them when serve stopped) put back in the queue, as the
	// bbolt store's RecoverLeases does at start.
	Requeued int
	// Written counts the keys committed so far.
	Written int
	// Progress, when set, hears after each committed batch.
	Progress func(written int)

	seqs       map[string]uint64
	auditHead  string
	wakePolicy string
	schemaSeen bool
	finished   bool
}

// NewImport checks that prefix holds nothing in the cluster cli talks to
// and returns an Import into it; maxTxnOps is the members'
// --max-txn-ops (0: DefaultMaxTxnOps), which bounds a batch with
// MaxImportBatch.
func NewImport(ctx context.Context, cli *clientv3.Client, prefix string, maxTxnOps int) (*Import, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if maxTxnOps <= 0 {
		maxTxnOps = DefaultMaxTxnOps
	}
	if err := refuseNested(ctx, cli, prefix); err != nil {
		return nil, err
	}
	n, err := KeysUnder(ctx, cli, prefix)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, nonEmptyTarget(ctx, cli, prefix, n)
	}
	return &Import{ctx: ctx, cli: cli, prefix: prefix, batch: min(MaxImportBatch, maxTxnOps),
		Copied: map[string]int{}, seqs: map[string]uint64{}}, nil
}

// nonEmptyTarget refuses an import into a prefix that holds n keys,
// saying whether they are a store (perhaps this migration's, done
// before: removing it would remove a store in use) or an unfinished copy.
func nonEmptyTarget(ctx context.Context, cli *clientv3.Client, prefix string, n int64) error {
	resp, err := cli.Get(ctx, prefix+keySchemaVersion, clientv3.WithCountOnly())
	if err == nil && resp.Count > 0 {
		return fmt.Errorf("etcdstore: import: the prefix %q already holds an offboard store (%d keys): migrated before? "+
			"migrate only into an empty prefix; pick another --prefix, and remove that store only if no offboard uses it", prefix, n)
	}
	return fmt.Errorf("etcdstore: import: the prefix %q holds %d keys but no store (an import that did not finish, or "+
		"someone else's keys): migrate only into an empty prefix; pick another --prefix, or remove them first with "+
		"etcdctl del --prefix %q if they are an unfinished copy", prefix, n, prefix)
}

// KeysUnder counts the keys under prefix, tombstones included.
func KeysUnder(ctx context.Context, cli *clientv3.Client, prefix string) (int64, error) {
	resp, err := cli.Get(ctx, prefix, clientv3.WithRange(prefixEnd(prefix)), clientv3.WithCountOnly())
	if err != nil {
		return 0, explainErr(fmt.Errorf("etcdstore: count the keys under %q: %w", prefix, err))
	}
	return resp.Count, nil
}

// Add copies one record (batched: see Finish).
func (im *Import) Add(r Record) error {
	if im.finished {
		return fmt.Errorf("etcdstore: import: Add after Finish")
	}
	switch r.Kind {
	case "meta":
		return im.meta(r)
	case "sequence":
		n, err := strconv.ParseUint(string(r.Value), 10, 64)
		if err != nil {
			return fmt.Errorf("etcdstore: import: sequence of %s is %q: %w", r.Key, r.Value, err)
		}
		switch string(r.Key) {
		case "cases", "approvals", "jobs", "audit":
			im.seqs[string(r.Key)] = n
			return nil
		}
		return fmt.Errorf("etcdstore: import: the bbolt bucket %q has a counter (%d) this offboard does not know", r.Key, n)
	}
	if bboltOnly[r.Kind] {
		return nil
	}
	k, ok := fromBbolt[r.Kind]
	if !ok {
		return fmt.Errorf("etcdstore: import: the bbolt bucket %q is not one this offboard knows; refusing to leave it behind", r.Kind)
	}
	if len(r.Key) == 0 {
		return fmt.Errorf("etcdstore: import: an empty key in %s", r.Kind)
	}
	val := string(r.Value)
	switch {
	case k.index:
		val = string(indexMark)
	case len(r.Value) == 0:
		return fmt.Errorf("etcdstore: import: %s %q has an empty value, which would read as deleted here", r.Kind, r.Key)
	case r.Kind == "jobs":
		var err error
		if val, err = im.unlease(r); err != nil {
			return err
		}
	}
	im.Copied[r.Kind]++
	return im.put(k.kind+string(r.Key), val)
}

func (im *Import) meta(r Record) error {
	switch string(r.Key) {
	case "schema_version":
		if string(r.Value) != strconv.Itoa(SchemaVersion) {
			return fmt.Errorf("etcdstore: import: the bbolt store's schema version is %q; this offboard migrates version %d", r.Value, SchemaVersion)
		}
		im.schemaSeen = true
	case "audit_head":
		im.auditHead = string(r.Value)
	case "wake_policy":
		im.wakePolicy = string(r.Value)
	case "erased_uncompacted":
		// bbolt housekeeping: erased bytes wait in free pages for a
		// compaction. The import copies only live values.
	case "revoked_index", "closed_index":
		// The bbolt file's time indexes are complete; this store keeps
		// none (bbolt only, below).
	default:
		return fmt.Errorf("etcdstore: import: the bbolt meta key %q is not one this offboard knows", r.Key)
	}
	return nil
}

// unlease puts a job a worker held back in the queue, with its queue key.
func (im *Import) unlease(r Record) (string, error) {
	var j offboard.Job
	if err := json.Unmarshal(r.Value, &j); err != nil {
		return "", fmt.Errorf("etcdstore: import: job %q: %w", r.Key, err)
	}
	if !j.Leased {
		return string(r.Value), nil
	}
	j.Leased, j.LeasedAt = false, time.Time{}
	raw, err := json.Marshal(&j)
	if err != nil {
		return "", fmt.Errorf("etcdstore: import: job %q: %w", r.Key, err)
	}
	im.Requeued++
	if err := im.put(queueKey(&j), string(indexMark)); err != nil {
		return "", err
	}
	return string(raw), nil
}

func (im *Import) put(key, val string) error {
	size := len(im.prefix) + len(key) + len(val)
	if len(im.ops) > 0 && im.bytes+size > MaxImportBytes {
		if err := im.flush(); err != nil {
			return err
		}
	}
	im.ops = append(im.ops, clientv3.OpPut(im.prefix+key, val))
	im.bytes += size
	if len(im.ops) >= im.batch {
		return im.flush()
	}
	return nil
}

func (im *Import) flush() error {
	if len(im.ops) == 0 {
		return nil
	}
	if _, err := im.cli.Txn(im.ctx).Then(im.ops...).Commit(); err != nil {
		return explainErr(fmt.Errorf("etcdstore: import: write %d keys of %d bytes (after %d): %w", len(im.ops), im.bytes, im.Written, err))
	}
	im.Written += len(im.ops)
	im.ops, im.bytes = im.ops[:0], 0
	if im.Progress != nil {
		im.Progress(im.Written)
	}
	return nil
}

// Finish writes the last batch, then the audit head, the counters and
// the schema version in one transaction, which makes the prefix a store.
func (im *Import) Finish() error {
	if im.finished {
		return nil
	}
	if !im.schemaSeen {
		return fmt.Errorf("etcdstore: import: the source had no schema version: not an offboard store")
	}
	if err := im.flush(); err != nil {
		return err
	}
	head, err := json.Marshal(auditHead{Seq: im.seqs["audit"], Hash: im.auditHead})
	if err != nil {
		return err
	}
	if (im.seqs["audit"] == 0) != (im.auditHead == "") {
		return fmt.Errorf("etcdstore: import: the source's audit counter (%d) and head (%q) disagree", im.seqs["audit"], im.auditHead)
	}
	schema := im.prefix + keySchemaVersion
	ops := []clientv3.Op{
		clientv3.OpPut(im.prefix+keySeqCases, strconv.FormatUint(im.seqs["cases"], 10)),
		clientv3.OpPut(im.prefix+keySeqApprovals, strconv.FormatUint(im.seqs["approvals"], 10)),
		clientv3.OpPut(im.prefix+keySeqJobs, strconv.FormatUint(im.seqs["jobs"], 10)),
		clientv3.OpPut(schema, strconv.Itoa(SchemaVersion)),
	}
	if im.auditHead != "" {
		ops = append(ops, clientv3.OpPut(im.prefix+keyAuditHead, string(head)))
	}
	if im.wakePolicy != "" {
		ops = append(ops, clientv3.OpPut(im.prefix+keyWakePolicy, im.wakePolicy))
	}
	resp, err := im.cli.Txn(im.ctx).If(clientv3.Compare(clientv3.CreateRevision(schema), "=", 0)).Then(ops...).Commit()
	if err != nil {
		return explainErr(fmt.Errorf("etcdstore: import: write the schema version: %w", err))
	}
	if !resp.Succeeded {
		return fmt.Errorf("etcdstore: import: something else wrote a schema version under %q while the import ran", im.prefix)
	}
	im.Written += len(ops)
	im.finished = true
	return nil
}

// CountKinds counts the live records of each kind the import copies, in
// bbolt's names, at one revision: what a migration compares with the
// source.
func (s *Store) CountKinds(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	var rev int64
	const page = 1000
	for bk, k := range fromBbolt {
		start, end := s.prefix+k.kind, s.prefix+prefixEnd(k.kind)
		for {
			opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(page)}
			if rev != 0 {
				opts = append(opts, clientv3.WithRev(rev))
			}
			resp, err := s.cli.Get(ctx, start, opts...)
			if err != nil {
				return nil, s.explain(fmt.Errorf("etcdstore: count %s: %w", k.kind, err))
			}
			if rev == 0 {
				rev = resp.Header.Revision
			}
			for _, kv := range resp.Kvs {
				if len(kv.Value) > 0 {
					out[bk]++
				}
			}
			if !resp.More || len(resp.Kvs) == 0 {
				break
			}
			start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		}
	}
	return out, nil
}
