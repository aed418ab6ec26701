package etcdstore

import (
	"context"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// Store is the runner's job queue; each method owns its transaction.
var _ offboard.JobQueue = (*Store)(nil)

// ClaimJobs leases up to limit ready jobs that the filters of newSkip do
// not reject. A read-only look comes first, so a poll that finds nothing
// writes nothing (a write is a Raft round and an fsync on each member). Each walk of the queue (the look,
// the claim, and a claim run again after a conflict) gets a fresh filter.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, limit int, newSkip func() func(*offboard.Job) bool) ([]*offboard.Job, error) {
	skip := func() func(*offboard.Job) bool {
		if newSkip == nil {
			return nil
		}
		return newSkip()
	}
	if s.leases != nil && s.currentLease() == noLease {
		return nil, fmt.Errorf("etcdstore: claim jobs: this replica has no session (it does not lead)")
	}
	ready := false
	err := s.View(ctx, func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(now, 1, skip())
		ready = len(jobs) > 0
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: claim jobs: %w", err)
	}
	if !ready {
		return nil, nil
	}
	var out []*offboard.Job
	err = s.Update(ctx, func(tx offboard.Tx) error {
		out = nil
		jobs, err := tx.ReadyJobs(now, limit, skip())
		if err != nil {
			return err
		}
		for _, j := range jobs {
			j.Leased, j.LeasedAt = true, now
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		out = jobs
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: claim jobs: %w", err)
	}
	return out, nil
}

// ReleaseJobs puts leased jobs back in the queue, not before notBefore
// when that is later than their own NotBefore: it deletes their claims.
// Jobs this replica no longer holds (its lease ended) are left alone.
func (s *Store) ReleaseJobs(ctx context.Context, ids []string, notBefore time.Time) error {
	err := s.Update(ctx, func(otx offboard.Tx) error {
		tx := otx.(*tx)
		for _, id := range ids {
			j, err := jobOrNil(tx, id)
			if err != nil {
				return err
			}
			if j == nil || !j.Leased {
				continue
			}
			if c, err := tx.claimOf(id); err != nil {
				return err
			} else if s.leases != nil && c.lease != tx.lease {
				continue
			}
			j.Leased, j.LeasedAt = false, time.Time{}
			if notBefore.After(j.NotBefore) {
				j.NotBefore = notBefore
			}
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("etcdstore: release jobs: %w", err)
	}
	return nil
}

// RetryJob queues a job again at notBefore with the failure recorded.
func (s *Store) RetryJob(ctx context.Context, id string, f offboard.JobFailure, notBefore time.Time) error {
	return s.updateJob(ctx, "retry", id, func(tx offboard.Tx, j *offboard.Job) error {
		recordFailure(j, f)
		j.Leased, j.LeasedAt, j.NotBefore = false, time.Time{}, notBefore
		return tx.PutJob(j)
	})
}

// DeadLetterJob moves a job to the dead letters with the failure recorded.
func (s *Store) DeadLetterJob(ctx context.Context, id string, f offboard.JobFailure, at time.Time) error {
	return s.updateJob(ctx, "dead-letter", id, func(tx offboard.Tx, j *offboard.Job) error {
		recordFailure(j, f)
		at := at.UTC()
		j.Leased, j.DeadAt = false, &at
		return tx.DeadLetter(j)
	})
}

// SettleJob deletes a job whose effect is done.
func (s *Store) SettleJob(ctx context.Context, id string) error {
	return s.updateJob(ctx, "settle", id, func(tx offboard.Tx, j *offboard.Job) error {
		return tx.DeleteJob(j.ID)
	})
}

// updateJob runs fn on the stored copy of a job in one transaction; a job
// that is gone is left alone. fn may run more than once (conflict),
// and gets a fresh copy each time. Each op records a run's result, so it
// commits only while this replica's claim on the job lasts
// (*offboard.ClaimLostError otherwise).
func (s *Store) updateJob(ctx context.Context, op, id string, fn func(offboard.Tx, *offboard.Job) error) error {
	ctx = offboard.WithJobResult(ctx, id)
	err := s.Update(ctx, func(tx offboard.Tx) error {
		j, err := jobOrNil(tx, id)
		if err != nil || j == nil {
			return err
		}
		return fn(tx, j)
	})
	if err != nil {
		return fmt.Errorf("etcdstore: %s job %s: %w", op, id, err)
	}
	return nil
}

// jobOrNil returns the stored job, or nil when there is none.
func jobOrNil(tx offboard.Tx, id string) (*offboard.Job, error) {
	j, err := tx.Job(id)
	if offboard.ErrorCode(err) == offboard.ENOTFOUND {
		return nil, nil
	}
	return j, err
}

func recordFailure(j *offboard.Job, f offboard.JobFailure) {
	if f.Counted {
		j.Attempts++
	}
	j.LastError = f.Error
}
