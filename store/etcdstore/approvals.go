package etcdstore

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Approvals returns a case's approvals in the order they were allocated.
func (t *tx) Approvals(id offboard.CaseID) ([]*offboard.Approval, error) {
	prefix := kindApprovalsCase + prefixOf(string(id))
	kvs, err := t.scanPrefix(prefix)
	if err != nil {
		return nil, err
	}
	var out []*offboard.Approval
	for _, e := range kvs {
		aid := strings.TrimPrefix(e.key, prefix)
		a, err := t.Approval(aid)
		if offboard.ErrorCode(err) == offboard.ENOTFOUND {
			return nil, fmt.Errorf("etcdstore: approvals of case %s: index names missing approval %s", id, aid)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *offboard.Approval) int { return compareApprovalIDs(a.ID, b.ID) })
	return out, nil
}

// Approval returns a copy of one approval, or ENOTFOUND.
func (t *tx) Approval(id string) (*offboard.Approval, error) {
	var a offboard.Approval
	ok, err := t.getJSON(kindApprovals+id, &a)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: approval %s: %w", id, err)
	}
	if !ok {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no approval %s", id)
	}
	return &a, nil
}

// NextApprovalID allocates "<caseID>-A<n>" from a store-wide counter.
func (t *tx) NextApprovalID(c offboard.CaseID) (string, error) {
	if err := t.mustWrite("next approval id"); err != nil {
		return "", err
	}
	n, err := t.nextSeq(keySeqApprovals)
	if err != nil {
		return "", fmt.Errorf("etcdstore: next approval id for case %s: %w", c, err)
	}
	return fmt.Sprintf("%s-A%d", c, n), nil
}

// PutApproval writes an approval and its approvals_case entry.
func (t *tx) PutApproval(a *offboard.Approval) error {
	if err := t.mustWrite("put approval"); err != nil {
		return err
	}
	if err := checkKeyPart("approval id", a.ID); err != nil {
		return err
	}
	if err := checkKeyPart("approval case id", string(a.CaseID)); err != nil {
		return err
	}
	var old struct {
		CaseID offboard.CaseID `json:"case_id"`
	}
	existed, err := t.getJSON(kindApprovals+a.ID, &old)
	if err != nil {
		return fmt.Errorf("etcdstore: put approval %s: read old record: %w", a.ID, err)
	}
	if existed && old.CaseID != a.CaseID {
		t.del(kindApprovalsCase + join(string(old.CaseID), a.ID))
	}
	if err := t.putJSON(kindApprovals+a.ID, a); err != nil {
		return fmt.Errorf("etcdstore: put approval %s: %w", a.ID, err)
	}
	t.put(kindApprovalsCase+join(string(a.CaseID), a.ID), indexMark)
	return nil
}

// compareApprovalIDs orders "OFF-0042-A2" before "OFF-0042-A10".
func compareApprovalIDs(a, b string) int {
	na, oka := approvalNumber(a)
	nb, okb := approvalNumber(b)
	switch {
	case oka && okb:
		return cmp.Or(cmp.Compare(na, nb), cmp.Compare(a, b))
	case oka:
		return -1
	case okb:
		return 1
	}
	return cmp.Compare(a, b)
}

func approvalNumber(id string) (uint64, bool) {
	i := strings.LastIndex(id, "-A")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(id[i+2:], 10, 64)
	return n, err == nil
}

// dedupeRecord is the value stored under a dedupe key.
type dedupeRecord struct {
	CaseID offboard.CaseID `json:"case_id"`
	At     time.Time       `json:"at"`
}

// Dedupe returns the case recorded under key (a source event id). The
// read is part of the transaction's read set: two commands that both
// find the key absent cannot both commit (the second's compare on the
// key's revision fails and it runs again, finding the first's case).
func (t *tx) Dedupe(key string) (offboard.CaseID, bool, error) {
	if key == "" {
		return "", false, nil
	}
	var r dedupeRecord
	ok, err := t.getJSON(kindDedupe+key, &r)
	if err != nil {
		return "", false, fmt.Errorf("etcdstore: dedupe %q: %w", key, err)
	}
	return r.CaseID, ok, nil
}

// PutDedupe records that key opened or touched case id at time at.
func (t *tx) PutDedupe(key string, id offboard.CaseID, at time.Time) error {
	if err := t.mustWrite("put dedupe"); err != nil {
		return err
	}
	if key == "" {
		return offboard.Errorf(offboard.EINVALID, "dedupe key is empty")
	}
	if err := t.putJSON(kindDedupe+key, dedupeRecord{CaseID: id, At: at.UTC()}); err != nil {
		return fmt.Errorf("etcdstore: put dedupe %q: %w", key, err)
	}
	return nil
}
