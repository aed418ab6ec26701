package etcdstore

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// unknownRank queues jobs of an unknown priority after every known one.
const unknownRank = 0xff

// queueKeyPrefix is the length of a jobq key (after the kind) before the
// job id: rank, NotBefore, creation sequence.
const queueKeyPrefix = 1 + 8 + 8

func rankByte(p offboard.Priority) byte {
	if r := p.Rank(); r >= 0 && r < unknownRank {
		return byte(r)
	}
	return unknownRank
}

func queueKey(j *offboard.Job) string {
	return kindJobQueue + string([]byte{rankByte(j.Priority)}) + u64(timeKey(j.NotBefore)) + u64(j.Seq) + j.ID
}

// Job returns a copy of a queued or leased job, or ENOTFOUND.
func (t *tx) Job(id string) (*offboard.Job, error) {
	j, err := t.storedJob(id)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no job %s", id)
	}
	return j, nil
}

func (t *tx) storedJob(id string) (*offboard.Job, error) {
	var j offboard.Job
	ok, err := t.getJSON(kindJobs+id, &j)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: job %s: %w", id, err)
	}
	if !ok {
		return nil, nil
	}
	// A job is leased while its claim exists (claims.go): a claim that
	// ended with its lease leaves the job ready again.
	c, err := t.claimOf(id)
	if err != nil {
		return nil, err
	}
	if j.Leased = c.held; !c.held {
		j.LeasedAt = time.Time{}
	}
	return &j, nil
}

// PutJob writes a job, keeps it in jobq and the jobs_case index, and
// takes or drops its claim as j.Leased says. A notice without an id is
// numbered. Writing a job another replica holds, or the result of a run
// whose claim this replica lost, is refused (fence).
func (t *tx) PutJob(j *offboard.Job) error {
	if err := t.mustWrite("put job"); err != nil {
		return err
	}
	if j.ID == "" && j.Kind == offboard.JobNotify {
		seq, err := t.nextSeq(keySeqJobs)
		if err != nil {
			return fmt.Errorf("etcdstore: put job: %w", err)
		}
		j.ID, j.Seq = fmt.Sprintf("%s/notice#%d", j.CaseID, seq), seq
		if j.Platform != "" {
			j.ID += ":" + j.Platform
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
	old, err := t.storedJob(j.ID)
	if err != nil {
		return fmt.Errorf("etcdstore: put job %s: read old record: %w", j.ID, err)
	}
	// The creation sequence survives requeues; the caller's job gets it.
	if j.Seq == 0 && old != nil {
		j.Seq = old.Seq
	}
	if j.Seq == 0 {
		if j.Seq, err = t.nextSeq(keySeqJobs); err != nil {
			return fmt.Errorf("etcdstore: put job %s: %w", j.ID, err)
		}
	}
	c, err := t.fence(j.ID)
	if err != nil {
		return fmt.Errorf("etcdstore: put job %s: %w", j.ID, err)
	}
	switch {
	case j.Leased && !c.held:
		if err := t.takeClaim(j.ID); err != nil {
			return err
		}
	case !j.Leased && c.held:
		t.dropClaim(j.ID)
	}
	t.unindexJob(old, j)
	if err := t.putJSON(kindJobs+j.ID, j); err != nil {
		return fmt.Errorf("etcdstore: put job %s: %w", j.ID, err)
	}
	t.put(queueKey(j), indexMark)
	if j.CaseID != "" {
		t.put(kindJobsCase+join(string(j.CaseID), j.ID), indexMark)
	}
	return nil
}

// unindexJob drops the index entries of old (nil: none) that next (nil:
// deleted) will not write again.
func (t *tx) unindexJob(old, next *offboard.Job) {
	if old == nil {
		return
	}
	if k := queueKey(old); next == nil || k != queueKey(next) {
		t.del(k)
	}
	if old.CaseID != "" && (next == nil || next.CaseID != old.CaseID) {
		t.del(kindJobsCase + join(string(old.CaseID), old.ID))
	}
}

// DeleteJob removes a job and its index entries; a missing job is fine.
func (t *tx) DeleteJob(id string) error {
	if err := t.mustWrite("delete job"); err != nil {
		return err
	}
	if err := t.deleteJob(id); err != nil {
		return fmt.Errorf("etcdstore: delete job %s: %w", id, err)
	}
	return nil
}

func (t *tx) deleteJob(id string) error {
	old, err := t.storedJob(id)
	if err != nil || old == nil {
		return err
	}
	c, err := t.fence(id)
	if err != nil {
		return err
	}
	if c.held {
		t.dropClaim(id)
	}
	t.unindexJob(old, nil)
	t.del(kindJobs + id)
	return nil
}

// DeadLetter removes a job from the queue and keeps it under dead/ with
// DeadAt set (j.DeadAt, or now). It does not change j.
func (t *tx) DeadLetter(j *offboard.Job) error {
	if err := t.mustWrite("dead-letter job"); err != nil {
		return err
	}
	if err := checkKeyPart("job id", j.ID); err != nil {
		return err
	}
	if err := t.deleteJob(j.ID); err != nil {
		return fmt.Errorf("etcdstore: dead-letter job %s: %w", j.ID, err)
	}
	// The caller's copy may differ from the stored one; neither stays queued.
	if raw, err := t.get(queueKey(j)); err != nil {
		return fmt.Errorf("etcdstore: dead-letter job %s: %w", j.ID, err)
	} else if raw != nil {
		t.del(queueKey(j))
	}
	dead := *j
	if dead.DeadAt == nil {
		now := time.Now().UTC()
		dead.DeadAt = &now
	}
	if err := t.putJSON(kindDead+j.ID, &dead); err != nil {
		return fmt.Errorf("etcdstore: dead-letter job %s: %w", j.ID, err)
	}
	return nil
}

// ReadyJobs returns up to limit (all if limit <= 0) unleased jobs with
// NotBefore <= now that skip does not reject, most urgent first. It
// reads the whole queue range and the claims, so any change to the queue
// and any new claim conflicts with a claim: two replicas never lease one
// job (and a claim is taken only if absent besides).
func (t *tx) ReadyJobs(now time.Time, limit int, skip func(*offboard.Job) bool) ([]*offboard.Job, error) {
	kvs, err := t.scanPrefix(kindJobQueue)
	if err != nil {
		return nil, err
	}
	if err := t.scanClaims(); err != nil {
		return nil, err
	}
	until := timeKey(now)
	// The ready entries, in queue order.
	var ready []string
	for i := 0; i < len(kvs); i++ {
		k := strings.TrimPrefix(kvs[i].key, kindJobQueue)
		if len(k) < queueKeyPrefix {
			return nil, fmt.Errorf("etcdstore: job queue key %x is too short", k)
		}
		if binary.BigEndian.Uint64([]byte(k[1:9])) > until {
			// The rest of this rank is later still.
			for i+1 < len(kvs) && strings.TrimPrefix(kvs[i+1].key, kindJobQueue)[0] == k[0] {
				i++
			}
			continue
		}
		ready = append(ready, k[queueKeyPrefix:])
	}
	var out []*offboard.Job
	for n, id := range ready {
		if n%prefetchJobs == 0 {
			// The next jobs in one round trip, not one each.
			keys := make([]string, 0, prefetchJobs)
			for _, next := range ready[n:min(n+prefetchJobs, len(ready))] {
				keys = append(keys, kindJobs+next)
			}
			if err := t.prefetch(keys); err != nil {
				return nil, err
			}
		}
		j, err := t.storedJob(id)
		if err != nil {
			return nil, err
		}
		if j == nil {
			return nil, fmt.Errorf("etcdstore: job queue names missing job %s", id)
		}
		if j.Leased {
			continue
		}
		if skip == nil || !skip(j) {
			out = append(out, j)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, nil
}

// prefetchJobs is how many jobs the queue's walk reads in one round trip:
// well under etcd's default --max-txn-ops (128), since a read-ahead
// transaction counts its gets.
const prefetchJobs = 64

// JobsForCase returns a case's queued and leased jobs, by id.
func (t *tx) JobsForCase(id offboard.CaseID) ([]*offboard.Job, error) {
	prefix := kindJobsCase + prefixOf(string(id))
	kvs, err := t.scanPrefix(prefix)
	if err != nil {
		return nil, err
	}
	var out []*offboard.Job
	for _, e := range kvs {
		jid := strings.TrimPrefix(e.key, prefix)
		j, err := t.storedJob(jid)
		if err != nil {
			return nil, err
		}
		if j == nil {
			return nil, fmt.Errorf("etcdstore: jobs of case %s: index names missing job %s", id, jid)
		}
		out = append(out, j)
	}
	return out, nil
}
