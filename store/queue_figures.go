package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// QueueFigures are the outbox's counts and its longest wait (one type
// for both backends).
type QueueFigures = offboard.QueueFigures

// QueueFigures counts the outbox and finds its longest wait in one read
// transaction. Within a priority the queue index is ordered by when a
// job becomes due, so the longest wait is the first key of some priority:
// one seek per priority, no record read (except for a job without a
// due time, written before jobs had one, whose creation time counts).
func (db *DB) QueueFigures(ctx context.Context, now time.Time) (QueueFigures, error) {
	if err := ctx.Err(); err != nil {
		return QueueFigures{}, err
	}
	var f QueueFigures
	err := db.bolt.View(func(btx *bolt.Tx) error {
		queue := btx.Bucket(bucketJobQueue)
		f.Queued = countKeys(queue)
		f.Leased = countKeys(btx.Bucket(bucketJobs)) - f.Queued
		f.Dead = countKeys(btx.Bucket(bucketDead))
		c := queue.Cursor()
		for k, _ := c.First(); k != nil; {
			if len(k) < queueKeyPrefix {
				return fmt.Errorf("job queue key %x is too short", k)
			}
			due := time.Unix(0, int64(binary.BigEndian.Uint64(k[1:9])))
			if binary.BigEndian.Uint64(k[1:9]) == 0 {
				j, err := getJob(btx.Bucket(bucketJobs), string(k[queueKeyPrefix:]))
				if err != nil {
					return err
				}
				if j != nil {
					due = j.CreatedAt
				}
			}
			if w := now.Sub(due); w > f.OldestDue {
				f.OldestDue = w
			}
			if k[0] == unknownRank {
				break
			}
			k, _ = c.Seek([]byte{k[0] + 1})
		}
		return nil
	})
	if err != nil {
		return QueueFigures{}, fmt.Errorf("store: queue figures: %w", err)
	}
	return f, nil
}
