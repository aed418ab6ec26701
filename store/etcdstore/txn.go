package etcdstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// tx implements offboard.Tx over a snapshot of etcd and a buffer of
// writes; see the package documentation for how it commits.
type tx struct {
	ctx      context.Context
	s        *Store
	writable bool
	ended    bool
	// rev is the snapshot revision, fixed by the first read (0: none yet).
	rev int64
	// reads are the point keys read, with the ModRevision seen (0: absent).
	reads map[string]int64
	// ranges are the ranges read, [start, end).
	ranges [][2]string
	// writes are the buffered writes; a nil value deletes the key.
	writes map[string]*[]byte
	// purge are tombstones seen unchanged since rev, dropped on commit.
	purge map[string]bool
	// err is the first failed read: the commit refuses to go on without it.
	err error
	// lease is the session lease claims are made under (noLease: none).
	lease clientv3.LeaseID
	// claims are the job claims ReadyJobs scanned, by job id (nil: not scanned).
	claims map[string]clientv3.LeaseID
	// leased are written keys bound to a lease; creates are keys the
	// commit requires to be absent (claims taken by this transaction).
	leased  map[string]clientv3.LeaseID
	creates []string
	// claimSeen caches the claims point-read at the snapshot.
	claimSeen map[string]*claim
	// fetched are point keys read ahead at the snapshot (prefetch), not
	// yet read by get: a key joins reads only when get takes it.
	fetched map[string]fetchedKV
}

// fetchedKV is a key read ahead: its value and ModRevision (0: absent).
type fetchedKV struct {
	val []byte
	mod int64
}

var _ offboard.Tx = (*tx)(nil)

func newTx(ctx context.Context, s *Store, writable bool) *tx {
	return &tx{ctx: ctx, s: s, writable: writable, reads: map[string]int64{}, writes: map[string]*[]byte{}, purge: map[string]bool{},
		lease: s.currentLease(), leased: map[string]clientv3.LeaseID{}, claimSeen: map[string]*claim{}}
}

// maxPurge bounds the tombstones one commit drops, so a commit stays small.
const maxPurge = 32

// kv is one live key read in a range.
type kv struct {
	key string
	val []byte
}

func (t *tx) check() {
	if t.ended {
		panic("etcdstore: offboard.Tx used after its Update or View returned")
	}
}

// mustWrite returns an error for a write attempted in a View.
func (t *tx) mustWrite(op string) error {
	if !t.writable {
		return fmt.Errorf("etcdstore: %s: read-only transaction (use Update, not View)", op)
	}
	return nil
}

// fail keeps the first read error.
func (t *tx) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return err
}

// prefetch reads keys ahead in one round trip (a transaction of gets at
// the snapshot), for a walk that would otherwise get them one by one:
// the job queue's walk reads a job per queued entry, and a round trip
// each made a layoff's claims the replicas' bottleneck. Keys already
// read or written are left out. The keys join the transaction's reads
// only as get takes them, so what the walk never looked at is not
// compared at commit.
func (t *tx) prefetch(keys []string) error {
	t.check()
	var want []string
	var ops []clientv3.Op
	for _, k := range keys {
		_, written := t.writes[k]
		_, read := t.reads[k]
		_, fetched := t.fetched[k]
		if written || read || fetched {
			continue
		}
		want = append(want, k)
		ops = append(ops, clientv3.OpGet(t.s.prefix+k, t.revOpts()...))
	}
	if len(ops) == 0 {
		return nil
	}
	resp, err := t.s.cli.Txn(t.ctx).Then(ops...).Commit()
	if err != nil {
		return t.fail(t.s.explain(fmt.Errorf("etcdstore: get %d keys: %w", len(ops), err)))
	}
	t.setRev(resp.Header.Revision)
	if t.fetched == nil {
		t.fetched = make(map[string]fetchedKV, len(want))
	}
	for i, r := range resp.Responses {
		var f fetchedKV
		if rr := r.GetResponseRange(); rr != nil && len(rr.Kvs) > 0 {
			f.val, f.mod = rr.Kvs[0].Value, rr.Kvs[0].ModRevision
		}
		t.fetched[want[i]] = f
	}
	return nil
}

// get returns the value at key (the store prefix is added), or nil when
// it is absent or a tombstone; it sees the transaction's own writes.
func (t *tx) get(key string) ([]byte, error) {
	t.check()
	if w, ok := t.writes[key]; ok {
		if w == nil || len(*w) == 0 {
			return nil, nil
		}
		return *w, nil
	}
	if f, ok := t.fetched[key]; ok {
		delete(t.fetched, key)
		t.reads[key] = f.mod
		if len(f.val) == 0 {
			t.notePurge(key, f.mod)
			return nil, nil
		}
		return f.val, nil
	}
	resp, err := t.s.cli.Get(t.ctx, t.s.prefix+key, t.revOpts()...)
	if err != nil {
		return nil, t.fail(t.s.explain(fmt.Errorf("etcdstore: get %q: %w", key, err)))
	}
	t.setRev(resp.Header.Revision)
	var mod int64
	var val []byte
	if len(resp.Kvs) > 0 {
		mod, val = resp.Kvs[0].ModRevision, resp.Kvs[0].Value
	}
	t.reads[key] = mod // every read is at t.rev, so mod never differs
	if len(val) == 0 {
		t.notePurge(key, mod)
		return nil, nil
	}
	return val, nil
}

// scan returns the live keys in [start, end) in key order, with the
// transaction's own writes applied, and remembers the range.
func (t *tx) scan(start, end string) ([]kv, error) {
	t.check()
	resp, err := t.s.cli.Get(t.ctx, t.s.prefix+start, append(t.revOpts(), clientv3.WithRange(t.s.prefix+end))...)
	if err != nil {
		return nil, t.fail(t.s.explain(fmt.Errorf("etcdstore: range %q: %w", start, err)))
	}
	t.setRev(resp.Header.Revision)
	t.ranges = append(t.ranges, [2]string{start, end})
	out := make([]kv, 0, len(resp.Kvs))
	for _, e := range resp.Kvs {
		k := string(e.Key[len(t.s.prefix):])
		if len(e.Value) == 0 {
			t.notePurge(k, e.ModRevision)
		}
		if _, mine := t.writes[k]; mine || len(e.Value) == 0 {
			continue
		}
		out = append(out, kv{key: k, val: e.Value})
	}
	for k, w := range t.writes {
		if k >= start && k < end && w != nil && len(*w) > 0 {
			out = append(out, kv{key: k, val: *w})
		}
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

// scanPrefix is scan over every key that starts with prefix.
func (t *tx) scanPrefix(prefix string) ([]kv, error) {
	return t.scan(prefix, prefixEnd(prefix))
}

func (t *tx) revOpts() []clientv3.OpOption {
	if t.rev == 0 {
		return nil
	}
	return []clientv3.OpOption{clientv3.WithRev(t.rev)}
}

func (t *tx) setRev(rev int64) {
	if t.rev == 0 {
		t.rev = rev
	}
}

func (t *tx) notePurge(key string, mod int64) {
	if t.writable && mod != 0 && len(t.purge) < maxPurge {
		t.purge[key] = true
	}
}

// put buffers a write.
func (t *tx) put(key string, val []byte) {
	t.check()
	v := bytes.Clone(val)
	t.writes[key] = &v
}

// del removes key. Keys of a kind that transactions scan become
// tombstones (see the package documentation); the others go.
func (t *tx) del(key string) {
	t.check()
	if scannedKind(key) {
		empty := []byte{}
		t.writes[key] = &empty
		return
	}
	t.writes[key] = nil
}

// scannedKind reports whether keys like key are read by range inside a
// transaction and need a tombstone to be deleted. Job records are read by
// id only.
// Claims are deleted outright too: their leases delete them so anyway,
// and a claim must be absent (not a tombstone) to be taken again.
func scannedKind(key string) bool {
	return !strings.HasPrefix(key, kindJobs) && !strings.HasPrefix(key, kindClaims)
}

// deletedMarker is written by every commit that deletes a key outright,
// so the whole-store compare (see compares) notices deletions too.
const deletedMarker = "meta/deleted"

// commit sends the transaction and reports whether its compares held.
func (t *tx) commit() (bool, error) {
	if t.err != nil {
		return false, t.err
	}
	if len(t.writes) == 0 {
		return true, nil // a read-only run has nothing to make atomic
	}
	ops := make([]clientv3.Op, 0, len(t.writes)+len(t.purge)+1)
	deletes := false
	for k, w := range t.writes {
		if w == nil {
			ops = append(ops, clientv3.OpDelete(t.s.prefix+k))
			deletes = true
			continue
		}
		if l, ok := t.leased[k]; ok {
			ops = append(ops, clientv3.OpPut(t.s.prefix+k, string(*w), clientv3.WithLease(l)))
			continue
		}
		ops = append(ops, clientv3.OpPut(t.s.prefix+k, string(*w)))
	}
	for k := range t.purge {
		// Purging is housekeeping: it never pushes a commit over the limit.
		if len(ops)+2 > t.s.maxTxnOps {
			break
		}
		if _, written := t.writes[k]; !written {
			ops = append(ops, clientv3.OpDelete(t.s.prefix+k))
			deletes = true
		}
	}
	if deletes {
		ops = append(ops, clientv3.OpPut(t.s.prefix+deletedMarker, "1"))
	}
	if len(ops) > t.s.maxTxnOps {
		return false, fmt.Errorf("etcdstore: %w: the command writes %d keys, more than the %d one etcd transaction may hold: "+
			"raise the etcd members' --max-txn-ops and the store's limit with it", ErrTooManyOps, len(ops), t.s.maxTxnOps)
	}
	resp, err := t.s.cli.Txn(t.ctx).If(t.compares()...).Then(ops...).Commit()
	if err != nil {
		return false, t.s.explain(fmt.Errorf("etcdstore: commit %d writes: %w", len(ops), err))
	}
	return resp.Succeeded, nil
}

// compares say that nothing read changed since the snapshot: a point key
// read keeps its ModRevision exactly (which catches its deletion too),
// and no key of a range read was written after the snapshot (deletions
// there are tombstones, which are writes). Past Options.MaxTxnOps one
// compare over the whole store stands for them all: stricter, so more
// commits retry, never wrong (outright deletions write deletedMarker).
func (t *tx) compares() []clientv3.Cmp {
	// A claim is taken only if absent: two replicas never hold one job.
	cmps := make([]clientv3.Cmp, 0, len(t.creates)+len(t.reads)+len(t.ranges))
	for _, k := range t.creates {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(t.s.prefix+k), "=", 0))
	}
	if t.rev == 0 {
		return cmps
	}
	n := len(t.reads) + len(t.ranges)
	if n > t.s.maxTxnOps {
		return append(cmps, clientv3.Compare(clientv3.ModRevision(t.s.prefix), "<", t.rev+1).WithRange(prefixEnd(t.s.prefix)))
	}
	for k, mod := range t.reads {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(t.s.prefix+k), "=", mod))
	}
	for _, r := range t.ranges {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(t.s.prefix+r[0]), "<", t.rev+1).WithRange(t.s.prefix+r[1]))
	}
	return cmps
}

// retryable reports whether a run failed only because its snapshot is
// gone (etcd compacted past it): a fresh run may succeed.
func retryable(err error) bool { return errors.Is(err, rpctypes.ErrCompacted) }

// prefixEnd is the first key after every key that starts with prefix.
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00" // every key: etcd reads "\x00" as the end of the keyspace
}
