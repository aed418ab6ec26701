package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// ErasePersonal erases a keyed case's personal data: the key and the
// plaintext go (the audit tokens can no longer be read or confirmed), the
// case's name, email, HR id, title, location and notes read erased, and
// every other record of the case (tasks, approvals, queued and dead jobs)
// has the personal strings replaced by offboard.ErasedMark and task
// secrets dropped. Its email index entry, dedupe keys and delivery
// markers are deleted. What an auditor needs stays: ids, dates, kind,
// statuses, outcomes, system names and user ids, request ids, hashes.
//
// The old bytes stay in the file's free pages until the file is
// compacted (DB.Compact), which the caller must do after the commit.
// A case stored before keys existed is refused (EINVALID): its events
// hold the plaintext, which cannot leave the chain without breaking it.
func (t *tx) ErasePersonal(id offboard.CaseID, at time.Time) (offboard.Erasure, error) {
	var out offboard.Erasure
	if err := t.writable("erase personal data"); err != nil {
		return out, err
	}
	c, err := t.Case(id)
	if err != nil {
		return out, err
	}
	rec, err := t.personal(id)
	switch {
	case err != nil:
		return out, err
	case rec == nil:
		return out, offboard.Errorf(offboard.EINVALID, "%s was opened before offboard kept personal data apart from the audit chain: "+
			"its audit events hold the leaver's name and email in plaintext, and taking them out would break the chain, so it is not erased", id)
	case rec.ErasedAt != nil:
		return out, offboard.Errorf(offboard.ECONFLICT, "%s was erased on %s already", id, rec.ErasedAt.UTC().Format("2006-01-02"))
	}
	at = at.UTC()
	// Until a compaction, the erased bytes sit in free pages; the mark
	// says so to Backup and to the next erasure run, even after a crash.
	// The compacted copy leaves it out (copyLive).
	if err := t.bucket(bucketMeta).Put(metaErasedUncompacted, []byte(at.Format(time.RFC3339))); err != nil {
		return out, fmt.Errorf("store: erase %s: %w", id, err)
	}
	strs := erasableStrings(c.Employee, rec)
	out.Tokens = len(rec.Values)
	if err := t.putPersonal(id, &personalRecord{ErasedAt: &at}); err != nil {
		return out, err
	}

	// The case, through PutCase, so its email index entry goes.
	gone := offboard.ErasedText(at)
	c.Employee.Name, c.Employee.Email, c.Employee.HRISID = gone, "", ""
	c.Employee.Title, c.Employee.Location = "", ""
	// Notes are free text about the leaver ("Jane keeps her badge"): a
	// first name or a detail in them is not found by the strings, so
	// they go whole.
	if c.Notes != "" {
		c.Notes = offboard.ErasedMark
	}
	// The source's reference is the HR system's employee id for a notice
	// from HR; the source itself stays.
	c.SourceRef = ""
	// A room's name may be made from the leaver's ("offboard-jane-doe-…");
	// its id stays.
	for i := range c.Rooms {
		c.Rooms[i].Name = ""
	}
	c.ErasedAt = &at
	raw, err := json.Marshal(c)
	if err != nil {
		return out, fmt.Errorf("store: erase %s: %w", id, err)
	}
	var erased offboard.Case
	if err := json.Unmarshal(offboard.ScrubJSON(raw, strs), &erased); err != nil {
		return out, fmt.Errorf("store: erase %s: %w", id, err)
	}
	if err := t.PutCase(&erased); err != nil {
		return out, err
	}
	out.Records++

	rewrite := func(b *bolt.Bucket, key []byte) error {
		v := b.Get(key)
		if v == nil {
			return nil
		}
		nv, err := offboard.ScrubRecord(v, strs)
		if err != nil {
			return fmt.Errorf("store: erase %s: %s %q: %w", id, b.Tx().DB().Path(), key, err)
		}
		out.Records++
		return b.Put(bytes.Clone(key), nv)
	}
	prefix := prefixKey(string(id))
	tasks := t.bucket(bucketTasks)
	if err := eachPrefix(tasks, prefix, func(k []byte) error { return rewrite(tasks, k) }); err != nil {
		return out, err
	}
	approvals := t.bucket(bucketApprovals)
	if err := eachPrefix(t.bucket(bucketApprovalsCase), prefix, func(k []byte) error {
		return rewrite(approvals, k[len(prefix):])
	}); err != nil {
		return out, err
	}
	jobs := t.bucket(bucketJobs)
	if err := eachPrefix(t.bucket(bucketJobsCase), prefix, func(k []byte) error {
		return rewrite(jobs, k[len(prefix):])
	}); err != nil {
		return out, err
	}
	// Dead letters, dedupe keys and delivery markers are not indexed by
	// case: a walk of each finds the case's own.
	dead := t.bucket(bucketDead)
	if err := eachOfCase(dead, id, func(k []byte) error { return rewrite(dead, k) }); err != nil {
		return out, err
	}
	for _, name := range [][]byte{bucketDedupe, bucketDelivered} {
		b := t.btx.Bucket(name)
		if b == nil {
			continue
		}
		var keys [][]byte
		if err := eachOfCase(b, id, func(k []byte) error { keys = append(keys, bytes.Clone(k)); return nil }); err != nil {
			return out, err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return out, fmt.Errorf("store: erase %s: %w", id, err)
			}
			out.Removed++
		}
	}
	return out, nil
}

// metaErasedUncompacted marks a file in which personal data was erased
// and that was not compacted since.
var metaErasedUncompacted = []byte("erased_uncompacted")

// NeedsCompaction reports whether personal data was erased in the store
// and its old bytes may still sit in the file's free pages.
func (db *DB) NeedsCompaction(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var marked bool
	err := db.view(func(btx *bolt.Tx) error {
		marked = btx.Bucket(bucketMeta).Get(metaErasedUncompacted) != nil
		return nil
	})
	return marked, err
}

// erasableStrings are the personal strings to take out of the case's
// records: every one the case's events were tokenised with, and the
// case's current name and email.
func erasableStrings(e offboard.Employee, rec *personalRecord) []string {
	return offboard.ErasableStrings(e, rec.Values)
}

// eachPrefix calls fn with each key under prefix; fn may rewrite values
// of other buckets, or of this one at the same key.
func eachPrefix(b *bolt.Bucket, prefix []byte, fn func(k []byte) error) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

// eachOfCase calls fn with each key whose JSON value has "case_id" id.
func eachOfCase(b *bolt.Bucket, id offboard.CaseID, fn func(k []byte) error) error {
	var keys [][]byte
	c := b.Cursor()
	var rec struct {
		CaseID offboard.CaseID `json:"case_id"`
	}
	for k, v := c.First(); k != nil; k, v = c.Next() {
		rec.CaseID = ""
		if v == nil || !bytes.Contains(v, []byte(id)) || json.Unmarshal(v, &rec) != nil || rec.CaseID != id {
			continue
		}
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}
