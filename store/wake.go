package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// The wake index finds the cases Tick must look at without walking every
// open case: idx_wake orders cases by the earliest time anything of
// theirs (a reminder, an escalation, an overdue notice, a write-off) can
// come due, and wake_by_case says where each case sits in it, so a
// change moves its entry in the same transaction. Both buckets are made
// by the first write, so a file written before them opens unchanged;
// until then they read as empty.
//
//	idx_wake      <wake nanos><case id> → empty
//	wake_by_case  case id → <wake nanos>
//	meta "wake_policy" → the rules the stored times were computed with
var (
	bucketIdxWake    = []byte("idx_wake")
	bucketWakeByCase = []byte("wake_by_case")
	metaWakePolicy   = []byte("wake_policy")
)

// optionalBucket returns a bucket made on first write, or nil while it
// does not exist.
func (t *tx) optionalBucket(name []byte) *bolt.Bucket {
	if t.ended {
		panic("store: offboard.Tx used after its Update or View returned")
	}
	return t.btx.Bucket(name)
}

// Wake returns when Tick must next look at case id; zero when never.
func (t *tx) Wake(id offboard.CaseID) (time.Time, error) {
	b := t.optionalBucket(bucketWakeByCase)
	if b == nil {
		return time.Time{}, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return time.Time{}, nil
	}
	if len(v) != 8 {
		return time.Time{}, fmt.Errorf("store: wake of case %s: value of %d bytes, want 8", id, len(v))
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(), nil
}

// SetWake records when Tick must next look at case id (zero: never) and
// moves its idx_wake entry. Setting the time already stored writes
// nothing, so it is allowed in a read-only transaction.
func (t *tx) SetWake(id offboard.CaseID, at time.Time) error {
	old, err := t.Wake(id)
	if err != nil {
		return err
	}
	if !at.IsZero() {
		// Stored at nanosecond precision from 1970 on: compare as stored.
		at = time.Unix(0, int64(timeKey(at))).UTC()
	}
	if old.Equal(at) {
		return nil
	}
	if err := t.writable("set wake"); err != nil {
		return err
	}
	if err := checkKeyPart("case id", string(id)); err != nil {
		return err
	}
	idx, err := t.btx.CreateBucketIfNotExists(bucketIdxWake)
	if err != nil {
		return fmt.Errorf("store: set wake of case %s: %w", id, err)
	}
	byCase, err := t.btx.CreateBucketIfNotExists(bucketWakeByCase)
	if err != nil {
		return fmt.Errorf("store: set wake of case %s: %w", id, err)
	}
	if !old.IsZero() {
		if err := idx.Delete(wakeKey(old, id)); err != nil {
			return fmt.Errorf("store: set wake of case %s: %w", id, err)
		}
	}
	if at.IsZero() {
		if err := byCase.Delete([]byte(id)); err != nil {
			return fmt.Errorf("store: set wake of case %s: %w", id, err)
		}
		return nil
	}
	if err := idx.Put(wakeKey(at, id), nil); err != nil {
		return fmt.Errorf("store: set wake of case %s: %w", id, err)
	}
	if err := byCase.Put([]byte(id), u64(timeKey(at))); err != nil {
		return fmt.Errorf("store: set wake of case %s: %w", id, err)
	}
	return nil
}

func wakeKey(at time.Time, id offboard.CaseID) []byte {
	return append(u64(timeKey(at)), id...)
}

// DueWakes returns up to limit cases (all if limit <= 0) whose wake time
// is at or before now, earliest first. It reads only the due part of the
// index.
func (t *tx) DueWakes(now time.Time, limit int) ([]offboard.CaseID, error) {
	b := t.optionalBucket(bucketIdxWake)
	if b == nil {
		return nil, nil
	}
	var ids []offboard.CaseID
	until := timeKey(now)
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) <= 8 {
			return nil, fmt.Errorf("store: wake index key %q is too short", k)
		}
		if binary.BigEndian.Uint64(k[:8]) > until {
			break
		}
		ids = append(ids, offboard.CaseID(k[8:]))
		if limit > 0 && len(ids) >= limit {
			break
		}
	}
	return ids, nil
}

// WakePolicy returns the rules the stored wake times were computed with,
// as the engine last recorded them; "" in a file never given any.
func (t *tx) WakePolicy() (string, error) {
	return string(t.bucket(bucketMeta).Get(metaWakePolicy)), nil
}

// SetWakePolicy records the rules the stored wake times follow.
func (t *tx) SetWakePolicy(p string) error {
	if err := t.writable("set wake policy"); err != nil {
		return err
	}
	if err := t.bucket(bucketMeta).Put(metaWakePolicy, []byte(p)); err != nil {
		return fmt.Errorf("store: set wake policy: %w", err)
	}
	return nil
}

// TxID is the id of the last committed write transaction: it changes
// with every commit, so tests use it to show that a command wrote
// nothing.
func (db *DB) TxID() (uint64, error) {
	var id uint64
	err := db.bolt.View(func(btx *bolt.Tx) error {
		id = uint64(btx.ID())
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: txid: %w", err)
	}
	return id, nil
}

// checkWakes reports wake entries that disagree: an idx_wake key without
// its wake_by_case record or the other way round, or a wake for a case
// that is missing or closed (the engine clears it when a case closes).
func checkWakes(btx *bolt.Tx, report func(IndexProblem)) {
	idx, byCase := btx.Bucket(bucketIdxWake), btx.Bucket(bucketWakeByCase)
	cases := btx.Bucket(bucketCases)
	if idx != nil {
		c := idx.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) <= 8 {
				report(IndexProblem{Index: string(bucketIdxWake), Problem: fmt.Sprintf("key %q is too short", k)})
				continue
			}
			id := offboard.CaseID(k[8:])
			if byCase == nil || string(byCase.Get(k[8:])) != string(k[:8]) {
				report(IndexProblem{Index: string(bucketIdxWake), CaseID: id, Problem: "has an entry wake_by_case does not record"})
			}
		}
	}
	if byCase == nil {
		return
	}
	c := byCase.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		id := offboard.CaseID(k)
		if idx == nil || len(v) != 8 || idx.Get(append(append([]byte(nil), v...), k...)) == nil {
			report(IndexProblem{Index: string(bucketWakeByCase), CaseID: id, Problem: "records a wake idx_wake does not hold"})
		}
		var rec caseRecord
		raw := cases.Get(k)
		if raw == nil || json.Unmarshal(raw, &rec) != nil || rec.Status.Closed() {
			report(IndexProblem{Index: string(bucketWakeByCase), CaseID: id, Problem: "wakes a case that is missing or closed"})
		}
	}
}
