package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// bucketDelivered holds one marker per notice a chat platform delivered,
// keyed by platform, NUL, notice id. It is created by the first marker,
// so files written before it existed open unchanged.
var bucketDelivered = []byte("delivered")

// lazyBuckets are created when first written, not by Open: a file
// without them is complete.
func lazyBuckets() [][]byte {
	return [][]byte{bucketDelivered, bucketPersonal, bucketIdxWake, bucketWakeByCase, bucketBatches, bucketIdxRevoked, bucketIdxClosed}
}

// pruneEvery is how often marking a delivery also drops expired markers.
const pruneEvery = time.Hour

type deliveredRecord struct {
	CaseID offboard.CaseID `json:"case_id"`
	At     time.Time       `json:"at"`
}

var _ offboard.DeliveryLog = (*DB)(nil)

func deliveredKey(platform, id string) []byte { return joinKey(platform, id) }

// Delivered reports whether platform delivered notice id already.
func (db *DB) Delivered(ctx context.Context, platform, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var found bool
	err := db.view(func(btx *bolt.Tx) error {
		if b := btx.Bucket(bucketDelivered); b != nil {
			found = b.Get(deliveredKey(platform, id)) != nil
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: delivered %s %s: %w", platform, id, err)
	}
	return found, nil
}

// MarkDelivered records that platform delivered notice id of case c at
// time at. At most once per pruneEvery it also drops the markers older
// than offboard.DeliveredRetention before at, in the same transaction:
// the scan is one pass over a bucket that holds a month of notices.
func (db *DB) MarkDelivered(ctx context.Context, platform, id string, c offboard.CaseID, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if platform == "" || id == "" {
		return offboard.Errorf(offboard.EINVALID, "a delivery marker needs a platform and a notice id")
	}
	last := time.Unix(0, db.deliveredPruned.Load())
	prune := at.Sub(last) >= pruneEvery
	err := db.update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(bucketDelivered)
		if err != nil {
			return err
		}
		if err := putJSON(b, deliveredKey(platform, id), deliveredRecord{CaseID: c, At: at.UTC()}); err != nil {
			return err
		}
		if prune {
			return pruneDelivered(b, at.Add(-offboard.DeliveredRetention))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: mark delivered %s %s: %w", platform, id, err)
	}
	if prune {
		db.deliveredPruned.Store(at.UnixNano())
	}
	return nil
}

// pruneDelivered drops the markers written before cutoff; a marker that
// does not decode is dropped too, since nothing can use it.
func pruneDelivered(b *bolt.Bucket, cutoff time.Time) error {
	var expired [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var r deliveredRecord
		if err := json.Unmarshal(v, &r); err != nil || r.At.Before(cutoff) {
			expired = append(expired, append([]byte(nil), k...))
		}
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
