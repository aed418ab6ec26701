package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// Delivery markers and batch records are written outside any command's
// transaction (as in bbolt) and read by key or by their own ranges only,
// so they are plain puts and outright deletes.
const (
	kindDelivered = "delivered/"
	kindBatches   = "batches/"
)

// pruneEvery is how often marking a delivery also drops expired markers.
const pruneEvery = time.Hour

type deliveredRecord struct {
	CaseID offboard.CaseID `json:"case_id"`
	At     time.Time       `json:"at"`
}

var _ offboard.DeliveryLog = (*Store)(nil)

// pruned remembers when this process last dropped expired markers; each
// replica prunes on its own clock, which at worst prunes twice.
type pruned struct{ delivered, batches atomic.Int64 }

// Delivered reports whether platform delivered notice id already.
func (s *Store) Delivered(ctx context.Context, platform, id string) (bool, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.prefix+kindDelivered+join(platform, id), clientv3.WithCountOnly())
	if err != nil {
		return false, fmt.Errorf("etcdstore: delivered %s %s: %w", platform, id, err)
	}
	return resp.Count > 0, nil
}

// MarkDelivered records that platform delivered notice id of case c at
// time at. At most once per pruneEvery it also drops the markers older
// than offboard.DeliveredRetention before at.
func (s *Store) MarkDelivered(ctx context.Context, platform, id string, c offboard.CaseID, at time.Time) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if platform == "" || id == "" {
		return offboard.Errorf(offboard.EINVALID, "a delivery marker needs a platform and a notice id")
	}
	raw, err := json.Marshal(deliveredRecord{CaseID: c, At: at.UTC()})
	if err != nil {
		return err
	}
	if _, err := s.cli.Put(ctx, s.prefix+kindDelivered+join(platform, id), string(raw)); err != nil {
		return fmt.Errorf("etcdstore: mark delivered %s %s: %w", platform, id, err)
	}
	if last := s.pruned.delivered.Load(); at.Sub(time.Unix(0, last)) >= pruneEvery && s.pruned.delivered.CompareAndSwap(last, at.UnixNano()) {
		if err := s.pruneOlder(ctx, kindDelivered, at.Add(-offboard.DeliveredRetention)); err != nil {
			s.logger.Warn("dropping expired delivery markers failed; the next marker tries again", "err", err)
			s.pruned.delivered.Store(last)
		}
	}
	return nil
}

// pruneOlder deletes the records under kind whose "at" is before cutoff
// (or that do not decode: nothing can use them), a transaction of at
// most maxTxnOps deletes at a time.
func (s *Store) pruneOlder(ctx context.Context, kind string, cutoff time.Time) error {
	var expired []string
	_, err := s.each(ctx, kind, 0, func(rest string, val []byte) error {
		var r struct {
			At time.Time `json:"at"`
		}
		if err := json.Unmarshal(val, &r); err != nil || r.At.Before(cutoff) {
			expired = append(expired, s.prefix+kind+rest)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for len(expired) > 0 {
		n := min(len(expired), s.maxTxnOps)
		ops := make([]clientv3.Op, 0, n)
		for _, k := range expired[:n] {
			ops = append(ops, clientv3.OpDelete(k))
		}
		if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			return fmt.Errorf("delete %d expired records: %w", n, err)
		}
		expired = expired[n:]
	}
	return nil
}
