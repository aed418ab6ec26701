package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// The case time indexes find cases by a time without reading every
// closed case: idx_revoked orders cases by RevokedAt (the digest's last
// day, the dashboard's today), idx_closed orders the closed cases whose
// personal data is not erased yet by ClosedAt (retention's due
// erasures). PutCase moves a case's entries in the transaction of the
// change that sets the time. A new file has them complete from the
// start. A file written before them has no buckets; BuildTimeIndexes
// fills them once, in batches, and only then sets the meta keys that let
// readers trust them. Until then the readers say they are not ready and
// callers walk the cases.
//
//	idx_revoked  <revoked nanos><case id> → empty
//	idx_closed   <closed nanos><case id> → empty, while not erased
//	meta "revoked_index", "closed_index" → present once the index covers every case
var (
	bucketIdxRevoked = []byte("idx_revoked")
	metaRevokedIndex = []byte("revoked_index")
	bucketIdxClosed  = []byte("idx_closed")
	metaClosedIndex  = []byte("closed_index")
)

// timeRecord is the part of a stored case the time indexes need.
type timeRecord struct {
	ID        offboard.CaseID `json:"id"`
	RevokedAt *time.Time      `json:"revoked_at"`
	ClosedAt  *time.Time      `json:"closed_at"`
	ErasedAt  *time.Time      `json:"erased_at"`
}

// timeIndex is one index of cases by a time of theirs.
type timeIndex struct {
	bucket, meta []byte
	// at is the case's time in the index; nil: not in it.
	at func(r *timeRecord) *time.Time
}

func timeIndexes() []timeIndex {
	return []timeIndex{
		{bucket: bucketIdxRevoked, meta: metaRevokedIndex, at: func(r *timeRecord) *time.Time { return r.RevokedAt }},
		{bucket: bucketIdxClosed, meta: metaClosedIndex, at: func(r *timeRecord) *time.Time {
			if r.ErasedAt != nil {
				return nil
			}
			return r.ClosedAt
		}},
	}
}

// timeBuildBatch is how many cases one transaction of BuildTimeIndexes
// reads: the writer lock is held for a batch, not for a million cases.
// A variable for tests.
var timeBuildBatch = 20_000

var (
	_ offboard.RevokedIndex     = (*tx)(nil)
	_ offboard.TimeIndexBuilder = (*DB)(nil)
)

func timeIndexKey(at time.Time, id offboard.CaseID) []byte {
	return append(u64(timeKey(at)), id...)
}

// keepTimeIndexes moves case id's entries from the old record's times to
// the new one's. Before a bucket exists there is nothing to keep: the
// build reads every case as it is then.
func (t *tx) keepTimeIndexes(id offboard.CaseID, old, now *timeRecord) error {
	for _, ix := range timeIndexes() {
		b := t.btx.Bucket(ix.bucket)
		if b == nil {
			continue
		}
		was, is := ix.at(old), ix.at(now)
		if was != nil && is != nil && timeKey(*was) == timeKey(*is) {
			continue
		}
		if was != nil {
			if err := b.Delete(timeIndexKey(*was, id)); err != nil {
				return fmt.Errorf("store: put case %s: %w", id, err)
			}
		}
		if is != nil {
			if err := b.Put(timeIndexKey(*is, id), nil); err != nil {
				return fmt.Errorf("store: put case %s: %w", id, err)
			}
		}
	}
	return nil
}

// timeRange returns the cases of an index with a time in [from, to],
// earliest first; ready is false while the index does not cover every
// case, and the ids are then nil.
func (t *tx) timeRange(bucket, meta []byte, from, to time.Time) (ids []offboard.CaseID, ready bool, err error) {
	idx := t.optionalBucket(bucket)
	if idx == nil || t.bucket(bucketMeta).Get(meta) == nil {
		return nil, false, nil
	}
	until := timeKey(to)
	c := idx.Cursor()
	for k, _ := c.Seek(u64(timeKey(from))); k != nil; k, _ = c.Next() {
		if len(k) <= 8 {
			return nil, true, fmt.Errorf("store: index %s: key %q is too short", bucket, k)
		}
		if binary.BigEndian.Uint64(k[:8]) > until {
			break
		}
		ids = append(ids, offboard.CaseID(k[8:]))
	}
	return ids, true, nil
}

// CaseIDsRevokedBetween returns the cases whose RevokedAt is in [from,
// to], earliest first, reading only that part of the index. ready is
// false while the index does not cover every case (a file from before
// it, not yet built); the ids are then nil.
func (t *tx) CaseIDsRevokedBetween(from, to time.Time) (ids []offboard.CaseID, ready bool, err error) {
	return t.timeRange(bucketIdxRevoked, metaRevokedIndex, from, to)
}

// ClosedUnerasedBefore returns the closed cases whose personal data is
// not erased and that closed at or before the time given, earliest
// first; ready as for CaseIDsRevokedBetween.
func (t *tx) ClosedUnerasedBefore(at time.Time) (ids []offboard.CaseID, ready bool, err error) {
	return t.timeRange(bucketIdxClosed, metaClosedIndex, time.Unix(0, 0), at)
}

// initTimeIndexes makes a new file's time indexes, complete because the
// file has no cases yet.
func initTimeIndexes(btx *bolt.Tx) error {
	for _, ix := range timeIndexes() {
		if _, err := btx.CreateBucketIfNotExists(ix.bucket); err != nil {
			return fmt.Errorf("create bucket %s: %w", ix.bucket, err)
		}
		if err := btx.Bucket(bucketMeta).Put(ix.meta, []byte("1")); err != nil {
			return err
		}
	}
	return nil
}

// BuildTimeIndexes fills the time indexes of a file written before them,
// once: it returns the cases read and built=false when every index was
// complete already. Each batch is its own transaction, so writes go on
// meanwhile; PutCase keeps the entries of cases already read, and the
// cases not yet read are read as they are when their batch comes.
func (db *DB) BuildTimeIndexes(ctx context.Context) (cases int, built bool, err error) {
	var missing []timeIndex
	if err := db.view(func(btx *bolt.Tx) error {
		for _, ix := range timeIndexes() {
			if btx.Bucket(ix.bucket) == nil || btx.Bucket(bucketMeta).Get(ix.meta) == nil {
				missing = append(missing, ix)
			}
		}
		return nil
	}); err != nil {
		return 0, false, fmt.Errorf("store: build the case time indexes: %w", err)
	}
	if len(missing) == 0 {
		return 0, false, nil
	}
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return cases, false, err
		}
		var last []byte
		n := 0
		err := db.update(func(btx *bolt.Tx) error {
			last, n = nil, 0
			buckets := make([]*bolt.Bucket, len(missing))
			for i, ix := range missing {
				b, err := btx.CreateBucketIfNotExists(ix.bucket)
				if err != nil {
					return err
				}
				buckets[i] = b
			}
			c := btx.Bucket(bucketCases).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && n < timeBuildBatch; k, v = c.Next() {
				n++
				last = bytes.Clone(k)
				var r timeRecord
				if v == nil || json.Unmarshal(v, &r) != nil {
					continue // VerifyIndexes reports a record that does not decode
				}
				for i, ix := range missing {
					if at := ix.at(&r); at != nil {
						if err := buckets[i].Put(timeIndexKey(*at, offboard.CaseID(k)), nil); err != nil {
							return err
						}
					}
				}
			}
			if k != nil {
				return nil
			}
			for _, ix := range missing {
				if err := btx.Bucket(bucketMeta).Put(ix.meta, []byte("1")); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return cases, false, fmt.Errorf("store: build the case time indexes: %w", err)
		}
		cases += n
		if n < timeBuildBatch {
			return cases, true, nil
		}
		after = last
	}
}

// checkTimeIndexes compares each complete time index with the cases (an
// index still being built is not a problem).
func checkTimeIndexes(ctx context.Context, btx *bolt.Tx, report func(IndexProblem)) error {
	var check []timeIndex
	for _, ix := range timeIndexes() {
		if btx.Bucket(ix.bucket) != nil && btx.Bucket(bucketMeta).Get(ix.meta) != nil {
			check = append(check, ix)
		}
	}
	if len(check) == 0 {
		return nil
	}
	want := make([]map[string]bool, len(check))
	for i := range want {
		want[i] = map[string]bool{}
	}
	c := btx.Bucket(bucketCases).Cursor()
	n := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if n++; n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var r timeRecord
		if v == nil || json.Unmarshal(v, &r) != nil {
			continue // a record that does not decode is the cases check's to report
		}
		for i, ix := range check {
			if at := ix.at(&r); at != nil {
				want[i][string(timeIndexKey(*at, offboard.CaseID(k)))] = true
			}
		}
	}
	describe := func(k []byte) (offboard.CaseID, string) {
		if len(k) <= 8 {
			return "", fmt.Sprintf("key %q", k)
		}
		return offboard.CaseID(k[8:]), time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC().Format(time.RFC3339)
	}
	for i, ix := range check {
		ic := btx.Bucket(ix.bucket).Cursor()
		for k, v := ic.First(); k != nil; k, v = ic.Next() {
			if want[i][string(k)] && v != nil && len(v) == 0 {
				delete(want[i], string(k))
				continue
			}
			id, at := describe(k)
			report(IndexProblem{Index: string(ix.bucket), CaseID: id,
				Problem: fmt.Sprintf("has an entry for %s that no cases record implies", at)})
		}
		missing := make([]string, 0, len(want[i]))
		for k := range want[i] {
			missing = append(missing, k)
		}
		slices.Sort(missing)
		for _, k := range missing {
			id, at := describe([]byte(k))
			report(IndexProblem{Index: string(ix.bucket), CaseID: id, Problem: fmt.Sprintf("the entry for %s is missing", at)})
		}
	}
	return nil
}
