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

// The revocation index finds the cases whose access went in a period
// (the daily digest's last day, the dashboard's today) without reading
// every closed case: idx_revoked orders cases by RevokedAt, and PutCase
// moves a case's entry in the transaction of the change that sets it.
// A new file has it complete from the start. A file written before it
// has no bucket; BuildRevokedIndex fills it once, in batches, and only
// then sets the meta key that lets readers trust it. Until then
// CaseIDsRevokedBetween says it is not ready and callers walk the cases.
//
//	idx_revoked  <revoked nanos><case id> → empty
//	meta "revoked_index" → present once the index covers every case
var (
	bucketIdxRevoked = []byte("idx_revoked")
	metaRevokedIndex = []byte("revoked_index")
)

// revokedBuildBatch is how many cases one transaction of
// BuildRevokedIndex indexes: the writer lock is held for a batch, not for
// a million cases. A variable for tests.
var revokedBuildBatch = 20_000

var _ offboard.RevokedIndex = (*tx)(nil)

func revokedKey(at time.Time, id offboard.CaseID) []byte {
	return append(u64(timeKey(at)), id...)
}

// keepRevoked moves case id's idx_revoked entry from old to now (nil: no
// entry). Before the bucket exists there is nothing to keep: the build
// reads every case as it is then.
func (t *tx) keepRevoked(id offboard.CaseID, old, now *time.Time) error {
	idx := t.btx.Bucket(bucketIdxRevoked)
	if idx == nil {
		return nil
	}
	if old != nil && now != nil && timeKey(*old) == timeKey(*now) {
		return nil
	}
	if old != nil {
		if err := idx.Delete(revokedKey(*old, id)); err != nil {
			return fmt.Errorf("store: put case %s: %w", id, err)
		}
	}
	if now != nil {
		if err := idx.Put(revokedKey(*now, id), nil); err != nil {
			return fmt.Errorf("store: put case %s: %w", id, err)
		}
	}
	return nil
}

// CaseIDsRevokedBetween returns the cases whose RevokedAt is in [from,
// to], earliest first, reading only that part of the index. ready is
// false while the index does not cover every case (a file from before
// it, not yet built); the ids are then nil.
func (t *tx) CaseIDsRevokedBetween(from, to time.Time) (ids []offboard.CaseID, ready bool, err error) {
	idx := t.optionalBucket(bucketIdxRevoked)
	if idx == nil || t.bucket(bucketMeta).Get(metaRevokedIndex) == nil {
		return nil, false, nil
	}
	until := timeKey(to)
	c := idx.Cursor()
	for k, _ := c.Seek(u64(timeKey(from))); k != nil; k, _ = c.Next() {
		if len(k) <= 8 {
			return nil, true, fmt.Errorf("store: revocation index key %q is too short", k)
		}
		if binary.BigEndian.Uint64(k[:8]) > until {
			break
		}
		ids = append(ids, offboard.CaseID(k[8:]))
	}
	return ids, true, nil
}

// initRevoked makes a new file's revocation index, complete because the
// file has no cases yet.
func initRevoked(btx *bolt.Tx) error {
	if _, err := btx.CreateBucketIfNotExists(bucketIdxRevoked); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketIdxRevoked, err)
	}
	return btx.Bucket(bucketMeta).Put(metaRevokedIndex, []byte("1"))
}

// revokedRecord is the part of a stored case the revocation index needs.
type revokedRecord struct {
	ID        offboard.CaseID `json:"id"`
	RevokedAt *time.Time      `json:"revoked_at"`
}

// BuildRevokedIndex fills the revocation index of a file written before
// it, once: it returns the cases read and built=false when the index was
// complete already. Each batch is its own transaction, so writes go on
// meanwhile; PutCase keeps the entries of cases already read, and the
// cases not yet read are read as they are when their batch comes.
func (db *DB) BuildRevokedIndex(ctx context.Context) (cases int, built bool, err error) {
	var ready bool
	if err := db.view(func(btx *bolt.Tx) error {
		ready = btx.Bucket(bucketIdxRevoked) != nil && btx.Bucket(bucketMeta).Get(metaRevokedIndex) != nil
		return nil
	}); err != nil {
		return 0, false, fmt.Errorf("store: build the revocation index: %w", err)
	}
	if ready {
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
			idx, err := btx.CreateBucketIfNotExists(bucketIdxRevoked)
			if err != nil {
				return err
			}
			c := btx.Bucket(bucketCases).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && n < revokedBuildBatch; k, v = c.Next() {
				n++
				last = bytes.Clone(k)
				var r revokedRecord
				if v == nil || json.Unmarshal(v, &r) != nil {
					continue // VerifyIndexes reports a record that does not decode
				}
				if r.RevokedAt != nil {
					if err := idx.Put(revokedKey(*r.RevokedAt, offboard.CaseID(k)), nil); err != nil {
						return err
					}
				}
			}
			if k == nil {
				return btx.Bucket(bucketMeta).Put(metaRevokedIndex, []byte("1"))
			}
			return nil
		})
		if err != nil {
			return cases, false, fmt.Errorf("store: build the revocation index: %w", err)
		}
		cases += n
		if n < revokedBuildBatch {
			return cases, true, nil
		}
		after = last
	}
}

// checkRevoked compares idx_revoked with the cases' RevokedAt, once the
// index is complete (a build under way is not a problem).
func checkRevoked(ctx context.Context, btx *bolt.Tx, report func(IndexProblem)) error {
	idx := btx.Bucket(bucketIdxRevoked)
	if idx == nil || btx.Bucket(bucketMeta).Get(metaRevokedIndex) == nil {
		return nil
	}
	want := map[string]bool{}
	c := btx.Bucket(bucketCases).Cursor()
	n := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if n++; n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var r revokedRecord
		if v == nil || json.Unmarshal(v, &r) != nil || r.RevokedAt == nil {
			continue // a record that does not decode is the cases check's to report
		}
		want[string(revokedKey(*r.RevokedAt, offboard.CaseID(k)))] = true
	}
	describe := func(k []byte) (offboard.CaseID, string) {
		if len(k) <= 8 {
			return "", fmt.Sprintf("key %q", k)
		}
		at := time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC().Format(time.RFC3339)
		return offboard.CaseID(k[8:]), "revocation at " + at
	}
	ic := idx.Cursor()
	for k, v := ic.First(); k != nil; k, v = ic.Next() {
		if want[string(k)] && v != nil && len(v) == 0 {
			delete(want, string(k))
			continue
		}
		id, what := describe(k)
		report(IndexProblem{Index: string(bucketIdxRevoked), CaseID: id,
			Problem: fmt.Sprintf("has an entry for %s that no cases record implies", what)})
	}
	missing := make([]string, 0, len(want))
	for k := range want {
		missing = append(missing, k)
	}
	slices.Sort(missing)
	for _, k := range missing {
		id, what := describe([]byte(k))
		report(IndexProblem{Index: string(bucketIdxRevoked), CaseID: id, Problem: fmt.Sprintf("the entry for %s is missing", what)})
	}
	return nil
}
