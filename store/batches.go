package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// bucketBatches holds the batch summaries of chat platforms: per
// summary "s" NUL platform NUL batch NUL department, per counted case
// "c" NUL platform NUL batch NUL case id. Created by the first record.
var bucketBatches = []byte("batches")

var _ offboard.BatchLog = (*DB)(nil)

type batchSummaryRecord struct {
	ID    string    `json:"id"`
	Since time.Time `json:"since"`
	At    time.Time `json:"at"`
}

type batchCaseRecord struct {
	offboard.BatchCase
	At time.Time `json:"at"`
}

func batchPrefix(kind, platform, batch string) []byte {
	return append(joinKey(kind, string(joinKey(platform, batch))), 0)
}

// LoadBatch returns what platform recorded of batch.
func (db *DB) LoadBatch(ctx context.Context, platform, batch string) (offboard.BatchRecord, error) {
	out := offboard.BatchRecord{Summaries: map[offboard.Department]string{}}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	err := db.view(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketBatches)
		if b == nil {
			return nil
		}
		if err := eachWithPrefix(b, batchPrefix("s", platform, batch), func(rest, v []byte) error {
			var r batchSummaryRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("summary %s: %w", rest, err)
			}
			out.Summaries[offboard.Department(rest)] = r.ID
			if out.Since.IsZero() || r.Since.Before(out.Since) {
				out.Since = r.Since
			}
			return nil
		}); err != nil {
			return err
		}
		return eachWithPrefix(b, batchPrefix("c", platform, batch), func(rest, v []byte) error {
			var r batchCaseRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("case %s: %w", rest, err)
			}
			out.Cases = append(out.Cases, r.BatchCase)
			return nil
		})
	})
	if err != nil {
		return out, fmt.Errorf("store: load batch %s %s: %w", platform, batch, err)
	}
	return out, nil
}

// eachWithPrefix calls fn with the rest of each key under prefix.
func eachWithPrefix(b *bolt.Bucket, prefix []byte, fn func(rest, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		if err := fn(k[len(prefix):], v); err != nil {
			return err
		}
	}
	return nil
}

// SaveBatchSummary records department d's summary of batch. At most once
// per pruneEvery it also drops the records older than
// offboard.DeliveredRetention, in the same transaction.
func (db *DB) SaveBatchSummary(ctx context.Context, platform, batch string, d offboard.Department, id string, since time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if platform == "" || batch == "" || d == "" || id == "" {
		return offboard.Errorf(offboard.EINVALID, "a batch summary record needs a platform, a batch, a department and an id")
	}
	now := time.Now()
	last := time.Unix(0, db.batchesPruned.Load())
	prune := now.Sub(last) >= pruneEvery
	err := db.update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(bucketBatches)
		if err != nil {
			return err
		}
		key := append(batchPrefix("s", platform, batch), d...)
		if err := putJSON(b, key, batchSummaryRecord{ID: id, Since: since.UTC(), At: now.UTC()}); err != nil {
			return err
		}
		if prune {
			return pruneDelivered(b, now.Add(-offboard.DeliveredRetention))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save batch summary %s %s: %w", platform, batch, err)
	}
	if prune {
		db.batchesPruned.Store(now.UnixNano())
	}
	return nil
}

// SaveBatchCase records that case c of batch is counted in its
// departments' summaries. Concurrent callers share a group commit.
func (db *DB) SaveBatchCase(ctx context.Context, platform, batch string, c offboard.BatchCase, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if platform == "" || batch == "" || c.CaseID == "" {
		return offboard.Errorf(offboard.EINVALID, "a batch case record needs a platform, a batch and a case id")
	}
	write := func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(bucketBatches)
		if err != nil {
			return err
		}
		return putJSON(b, append(batchPrefix("c", platform, batch), c.CaseID...), batchCaseRecord{BatchCase: c, At: at.UTC()})
	}
	busy := db.writers.Add(1) > 1
	defer db.writers.Add(-1)
	var err error
	if busy {
		err = db.batch(write)
	} else {
		err = db.update(write)
	}
	if err != nil {
		return fmt.Errorf("store: save batch case %s %s %s: %w", platform, batch, c.CaseID, err)
	}
	return nil
}
