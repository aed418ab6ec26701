package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// unknownRank queues jobs of an unknown priority after every known one.
const unknownRank = 0xff

// rankByte is the first byte of a jobq key: Priority.Rank().
func rankByte(p offboard.Priority) byte {
	if r := p.Rank(); r >= 0 && r < unknownRank {
		return byte(r)
	}
	return unknownRank
}

// queueKeyPrefix is the length of a jobq key before the job id.
const queueKeyPrefix = 1 + 8 + 8

// queueKey is the jobq key of a job: rank, NotBefore, creation sequence, id.
func queueKey(j *offboard.Job) []byte {
	k := make([]byte, 0, queueKeyPrefix+len(j.ID))
	k = append(k, rankByte(j.Priority))
	k = binary.BigEndian.AppendUint64(k, timeKey(j.NotBefore))
	k = binary.BigEndian.AppendUint64(k, j.Seq)
	return append(k, j.ID...)
}

// Job returns a copy of a queued or leased job, or ENOTFOUND.
func (t *tx) Job(id string) (*offboard.Job, error) {
	j, err := getJob(t.bucket(bucketJobs), id)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no job %s", id)
	}
	return j, nil
}

// getJob returns the stored job, or nil if there is none.
func getJob(jobs *bolt.Bucket, id string) (*offboard.Job, error) {
	var j offboard.Job
	ok, err := getJSON(jobs, []byte(id), &j)
	if err != nil {
		return nil, fmt.Errorf("store: job %s: %w", id, err)
	}
	if !ok {
		return nil, nil
	}
	return &j, nil
}

// PutJob writes a job, keeps it in jobq while it is not leased, and keeps
// the jobs_by_case index.
func (t *tx) PutJob(j *offboard.Job) error {
	if err := t.writable("put job"); err != nil {
		return err
	}
	jobs := t.bucket(bucketJobs)
	if j.ID == "" && j.Kind == offboard.JobNotify {
		// Notices have no natural identity: number them.
		seq, err := jobs.NextSequence()
		if err != nil {
			return fmt.Errorf("store: put job: %w", err)
		}
		j.ID, j.Seq = fmt.Sprintf("%s/notice#%d", j.CaseID, seq), seq
		if j.Platform != "" {
			j.ID += ":" + j.Platform // one job per platform (see Job.Platform)
		}
	}
	if err := checkKeyPart("job id", j.ID); err != nil {
		return err
	}
	if j.CaseID != "" {
		if err := checkKeyPart("job case id", string(j.CaseID)); err != nil {
			return err
		}
	}
	old, err := getJob(jobs, j.ID)
	if err != nil {
		return fmt.Errorf("store: put job %s: read old record: %w", j.ID, err)
	}
	// The creation sequence survives requeues; the caller's job gets it.
	if j.Seq == 0 && old != nil {
		j.Seq = old.Seq
	}
	if j.Seq == 0 {
		if j.Seq, err = jobs.NextSequence(); err != nil {
			return fmt.Errorf("store: put job %s: %w", j.ID, err)
		}
	}
	if err := t.unindexJob(old, j); err != nil {
		return fmt.Errorf("store: put job %s: %w", j.ID, err)
	}
	if err := putJSON(jobs, []byte(j.ID), j); err != nil {
		return fmt.Errorf("store: put job %s: %w", j.ID, err)
	}
	if !j.Leased {
		if err := t.bucket(bucketJobQueue).Put(queueKey(j), nil); err != nil {
			return fmt.Errorf("store: put job %s: %w", j.ID, err)
		}
	}
	if j.CaseID != "" {
		if err := t.bucket(bucketJobsCase).Put(joinKey(string(j.CaseID), j.ID), nil); err != nil {
			return fmt.Errorf("store: put job %s: %w", j.ID, err)
		}
	}
	return nil
}

// unindexJob deletes the jobq and jobs_by_case entries of the stored job
// old (nil: none) that the new version next (nil: deleted) will not
// rewrite.
func (t *tx) unindexJob(old, next *offboard.Job) error {
	if old == nil {
		return nil
	}
	if !old.Leased {
		if k := queueKey(old); next == nil || next.Leased || string(k) != string(queueKey(next)) {
			if err := t.bucket(bucketJobQueue).Delete(k); err != nil {
				return err
			}
		}
	}
	if old.CaseID != "" && (next == nil || next.CaseID != old.CaseID) {
		if err := t.bucket(bucketJobsCase).Delete(joinKey(string(old.CaseID), old.ID)); err != nil {
			return err
		}
	}
	return nil
}

// DeleteJob removes a job from jobs, jobq and jobs_by_case. Deleting a
// job that does not exist is not an error.
func (t *tx) DeleteJob(id string) error {
	if err := t.writable("delete job"); err != nil {
		return err
	}
	if err := t.deleteJob(id); err != nil {
		return fmt.Errorf("store: delete job %s: %w", id, err)
	}
	return nil
}

func (t *tx) deleteJob(id string) error {
	jobs := t.bucket(bucketJobs)
	old, err := getJob(jobs, id)
	if err != nil || old == nil {
		return err
	}
	if err := t.unindexJob(old, nil); err != nil {
		return err
	}
	return jobs.Delete([]byte(id))
}

// DeadLetter removes a job from the queue and keeps it in dead with
// DeadAt set (j.DeadAt if the caller set it, else the current time). It
// does not change j.
func (t *tx) DeadLetter(j *offboard.Job) error {
	if err := t.writable("dead-letter job"); err != nil {
		return err
	}
	if err := checkKeyPart("job id", j.ID); err != nil {
		return err
	}
	if err := t.deleteJob(j.ID); err != nil {
		return fmt.Errorf("store: dead-letter job %s: %w", j.ID, err)
	}
	// The caller's copy may differ from the stored one; make sure neither
	// version stays queued.
	if err := t.bucket(bucketJobQueue).Delete(queueKey(j)); err != nil {
		return fmt.Errorf("store: dead-letter job %s: %w", j.ID, err)
	}
	dead := *j
	if dead.DeadAt == nil {
		now := time.Now().UTC()
		dead.DeadAt = &now
	}
	if err := putJSON(t.bucket(bucketDead), []byte(j.ID), &dead); err != nil {
		return fmt.Errorf("store: dead-letter job %s: %w", j.ID, err)
	}
	return nil
}

// ReadyJobs returns up to limit (all if limit <= 0) unleased jobs with
// NotBefore <= now that skip (if not nil) does not reject: every
// revocation job before any device job, and so on, and within a priority
// the longest-waiting first. Within a priority it stops at the first job
// not yet due and seeks to the next priority.
func (t *tx) ReadyJobs(now time.Time, limit int, skip func(*offboard.Job) bool) ([]*offboard.Job, error) {
	jobs := t.bucket(bucketJobs)
	until := timeKey(now)
	var out []*offboard.Job
	c := t.bucket(bucketJobQueue).Cursor()
	for k, _ := c.First(); k != nil; {
		if len(k) < queueKeyPrefix {
			return nil, fmt.Errorf("store: job queue key %x is too short", k)
		}
		if binary.BigEndian.Uint64(k[1:9]) > until {
			// The rest of this rank is later still.
			if k[0] == unknownRank {
				break
			}
			k, _ = c.Seek([]byte{k[0] + 1})
			continue
		}
		id := string(k[queueKeyPrefix:])
		j, err := getJob(jobs, id)
		if err != nil {
			return nil, err
		}
		if j == nil {
			return nil, fmt.Errorf("store: job queue names missing job %s", id)
		}
		if skip == nil || !skip(j) {
			out = append(out, j)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		k, _ = c.Next()
	}
	return out, nil
}

// JobsForCase returns a case's queued and leased jobs, by id.
func (t *tx) JobsForCase(id offboard.CaseID) ([]*offboard.Job, error) {
	jobs := t.bucket(bucketJobs)
	var out []*offboard.Job
	err := scanPrefix(t.bucket(bucketJobsCase), prefixKey(string(id)), func(rest, _ []byte) error {
		j, err := getJob(jobs, string(rest))
		if err != nil {
			return err
		}
		if j == nil {
			return fmt.Errorf("store: jobs of case %s: index names missing job %s", id, rest)
		}
		out = append(out, j)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecoverLeases requeues every leased job. Call it once at start, before
// workers run: a job leased then was cut off by a crash. Attempts are
// kept. It returns how many jobs were requeued.
func (db *DB) RecoverLeases(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := db.update(func(btx *bolt.Tx) error {
		t := &tx{btx: btx}
		defer t.end()
		var leased []*offboard.Job
		err := t.bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var j offboard.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("job %s: %w", k, err)
			}
			if j.Leased {
				leased = append(leased, &j)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Write after the walk: bbolt forbids changing a bucket during ForEach.
		for _, j := range leased {
			j.Leased = false
			j.LeasedAt = time.Time{}
			if err := t.PutJob(j); err != nil {
				return err
			}
		}
		n = len(leased)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: recover leases: %w", err)
	}
	if n > 0 {
		db.logger.Info("requeued jobs leased before a restart", "jobs", n)
	}
	return n, nil
}

// DeadJobs returns the dead-lettered jobs, most recent first.
func (db *DB) DeadJobs(ctx context.Context) ([]*offboard.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*offboard.Job
	err := db.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketDead).ForEach(func(k, v []byte) error {
			var j offboard.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("dead job %s: %w", k, err)
			}
			out = append(out, &j)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: dead jobs: %w", err)
	}
	slices.SortFunc(out, func(a, b *offboard.Job) int {
		return cmp.Or(deadAt(b).Compare(deadAt(a)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func deadAt(j *offboard.Job) time.Time {
	if j.DeadAt == nil {
		return time.Time{}
	}
	return *j.DeadAt
}
