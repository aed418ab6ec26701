package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Batch records, as in the bbolt store's batches bucket: per summary
// batches/s NUL platform NUL batch NUL department, per counted case
// batches/c NUL platform NUL batch NUL case id.

var _ offboard.BatchLog = (*Store)(nil)

type batchSummaryRecord struct {
	ID    string    `json:"id"`
	Since time.Time `json:"since"`
	At    time.Time `json:"at"`
}

type batchCaseRecord struct {
	offboard.BatchCase
	At time.Time `json:"at"`
}

func batchPrefix(kind, platform, batch string) string {
	return kindBatches + join(kind, join(platform, batch)) + "\x00"
}

// LoadBatch returns what platform recorded of batch, read at one revision.
func (s *Store) LoadBatch(ctx context.Context, platform, batch string) (offboard.BatchRecord, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	out := offboard.BatchRecord{Summaries: map[offboard.Department]string{}}
	rev, err := s.each(ctx, batchPrefix("s", platform, batch), 0, func(rest string, v []byte) error {
		var r batchSummaryRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("summary %s: %w", rest, err)
		}
		out.Summaries[offboard.Department(rest)] = r.ID
		if out.Since.IsZero() || r.Since.Before(out.Since) {
			out.Since = r.Since
		}
		return nil
	})
	if err == nil {
		_, err = s.each(ctx, batchPrefix("c", platform, batch), rev, func(rest string, v []byte) error {
			var r batchCaseRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("case %s: %w", rest, err)
			}
			out.Cases = append(out.Cases, r.BatchCase)
			return nil
		})
	}
	if err != nil {
		return out, fmt.Errorf("etcdstore: load batch %s %s: %w", platform, batch, err)
	}
	return out, nil
}

// SaveBatchSummary records department d's summary of batch. At most once
// per pruneEvery it also drops the records older than
// offboard.DeliveredRetention.
func (s *Store) SaveBatchSummary(ctx context.Context, platform, batch string, d offboard.Department, id string, since time.Time) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if platform == "" || batch == "" || d == "" || id == "" {
		return offboard.Errorf(offboard.EINVALID, "a batch summary record needs a platform, a batch, a department and an id")
	}
	if err := checkBatchParts(platform, batch); err != nil {
		return err
	}
	now := time.Now()
	raw, err := json.Marshal(batchSummaryRecord{ID: id, Since: since.UTC(), At: now.UTC()})
	if err != nil {
		return err
	}
	if _, err := s.cli.Put(ctx, s.prefix+batchPrefix("s", platform, batch)+string(d), string(raw)); err != nil {
		return fmt.Errorf("etcdstore: save batch summary %s %s: %w", platform, batch, err)
	}
	if last := s.pruned.batches.Load(); now.Sub(time.Unix(0, last)) >= pruneEvery && s.pruned.batches.CompareAndSwap(last, now.UnixNano()) {
		if err := s.pruneOlder(ctx, kindBatches, now.Add(-offboard.DeliveredRetention)); err != nil {
			s.logger.Warn("dropping expired batch records failed; the next summary tries again", "err", err)
			s.pruned.batches.Store(last)
		}
	}
	return nil
}

// SaveBatchCase records that case c of batch is counted in its
// departments' summaries.
func (s *Store) SaveBatchCase(ctx context.Context, platform, batch string, c offboard.BatchCase, at time.Time) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if platform == "" || batch == "" || c.CaseID == "" {
		return offboard.Errorf(offboard.EINVALID, "a batch case record needs a platform, a batch and a case id")
	}
	if err := checkBatchParts(platform, batch); err != nil {
		return err
	}
	raw, err := json.Marshal(batchCaseRecord{BatchCase: c, At: at.UTC()})
	if err != nil {
		return err
	}
	if _, err := s.cli.Put(ctx, s.prefix+batchPrefix("c", platform, batch)+string(c.CaseID), string(raw)); err != nil {
		return fmt.Errorf("etcdstore: save batch case %s %s %s: %w", platform, batch, c.CaseID, err)
	}
	return nil
}

// checkBatchParts refuses a NUL inside a key part: it would let one
// batch's records read as another's.
func checkBatchParts(parts ...string) error {
	for _, p := range parts {
		if strings.ContainsRune(p, 0) {
			return offboard.Errorf(offboard.EINVALID, "a batch record's platform and batch may not hold a NUL byte")
		}
	}
	return nil
}
