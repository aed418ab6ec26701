package etcdstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// ErasePersonal erases a keyed case's personal data as the bbolt store
// does: the key and plaintext go, the case reads erased, its tasks,
// approvals, queued and dead jobs have the personal strings replaced by
// offboard.ErasedMark and task secrets dropped, and its email index
// entry and dedupe keys go. etcd keeps the old values in its history
// until the cluster is compacted (etcd's auto-compaction does it).
func (t *tx) ErasePersonal(id offboard.CaseID, at time.Time) (offboard.Erasure, error) {
	var out offboard.Erasure
	if err := t.mustWrite("erase personal data"); err != nil {
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
	strs := offboard.ErasableStrings(c.Employee, rec.Values)
	out.Tokens = len(rec.Values)
	if err := t.putJSON(kindPersonal+string(id), &personalRecord{ErasedAt: &at}); err != nil {
		return out, err
	}

	gone := offboard.ErasedText(at)
	c.Employee.Name, c.Employee.Email, c.Employee.HRISID = gone, "", ""
	c.Employee.Title, c.Employee.Location = "", ""
	c.ErasedAt = &at
	raw, err := json.Marshal(c)
	if err != nil {
		return out, fmt.Errorf("etcdstore: erase %s: %w", id, err)
	}
	var erased offboard.Case
	if err := json.Unmarshal(offboard.ScrubJSON(raw, strs), &erased); err != nil {
		return out, fmt.Errorf("etcdstore: erase %s: %w", id, err)
	}
	if err := t.PutCase(&erased); err != nil {
		return out, err
	}
	out.Records++

	rewrite := func(key string) error {
		v, err := t.get(key)
		if err != nil || v == nil {
			return err
		}
		nv, err := offboard.ScrubRecord(v, strs)
		if err != nil {
			return fmt.Errorf("etcdstore: erase %s: %q: %w", id, key, err)
		}
		t.put(key, nv)
		out.Records++
		return nil
	}
	prefix := prefixOf(string(id))
	tasks, err := t.scanPrefix(kindTasks + prefix)
	if err != nil {
		return out, err
	}
	for _, e := range tasks {
		if err := rewrite(e.key); err != nil {
			return out, err
		}
	}
	for _, idx := range []struct{ index, records string }{{kindApprovalsCase, kindApprovals}, {kindJobsCase, kindJobs}} {
		entries, err := t.scanPrefix(idx.index + prefix)
		if err != nil {
			return out, err
		}
		for _, e := range entries {
			if err := rewrite(idx.records + strings.TrimPrefix(e.key, idx.index+prefix)); err != nil {
				return out, err
			}
		}
	}
	// Dead letters and dedupe keys are not indexed by case: a walk of
	// each finds the case's own.
	dead, err := t.ofCase(kindDead, id)
	if err != nil {
		return out, err
	}
	for _, k := range dead {
		if err := rewrite(k); err != nil {
			return out, err
		}
	}
	dedupe, err := t.ofCase(kindDedupe, id)
	if err != nil {
		return out, err
	}
	for _, k := range dedupe {
		t.del(k)
		out.Removed++
	}
	return out, nil
}

// ofCase returns the keys of a kind whose JSON value has "case_id" id.
func (t *tx) ofCase(kind string, id offboard.CaseID) ([]string, error) {
	kvs, err := t.scanPrefix(kind)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, e := range kvs {
		var rec struct {
			CaseID offboard.CaseID `json:"case_id"`
		}
		if !bytes.Contains(e.val, []byte(id)) || json.Unmarshal(e.val, &rec) != nil || rec.CaseID != id {
			continue
		}
		keys = append(keys, e.key)
	}
	return keys, nil
}
