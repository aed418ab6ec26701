package store

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/offboard-dev/offboard"
)

// Approvals returns a case's approvals in the order they were allocated.
func (t *tx) Approvals(id offboard.CaseID) ([]*offboard.Approval, error) {
	approvals := t.bucket(bucketApprovals)
	var out []*offboard.Approval
	err := scanPrefix(t.bucket(bucketApprovalsCase), prefixKey(string(id)), func(rest, _ []byte) error {
		var a offboard.Approval
		ok, err := getJSON(approvals, rest, &a)
		if err != nil {
			return fmt.Errorf("store: approval %s: %w", rest, err)
		}
		if !ok {
			return fmt.Errorf("store: approvals of case %s: index names missing approval %s", id, rest)
		}
		out = append(out, &a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *offboard.Approval) int { return compareApprovalIDs(a.ID, b.ID) })
	return out, nil
}

// Approval returns a copy of one approval, or ENOTFOUND.
func (t *tx) Approval(id string) (*offboard.Approval, error) {
	var a offboard.Approval
	ok, err := getJSON(t.bucket(bucketApprovals), []byte(id), &a)
	if err != nil {
		return nil, fmt.Errorf("store: approval %s: %w", id, err)
	}
	if !ok {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no approval %s", id)
	}
	return &a, nil
}

// NextApprovalID allocates "<caseID>-A<n>" from a store-wide sequence, so
// ids never repeat even across cases.
func (t *tx) NextApprovalID(c offboard.CaseID) (string, error) {
	if err := t.writable("next approval id"); err != nil {
		return "", err
	}
	n, err := t.bucket(bucketApprovals).NextSequence()
	if err != nil {
		return "", fmt.Errorf("store: next approval id for case %s: %w", c, err)
	}
	return fmt.Sprintf("%s-A%d", c, n), nil
}

// PutApproval writes an approval and its approvals_by_case entry.
func (t *tx) PutApproval(a *offboard.Approval) error {
	if err := t.writable("put approval"); err != nil {
		return err
	}
	if err := checkKeyPart("approval id", a.ID); err != nil {
		return err
	}
	if err := checkKeyPart("approval case id", string(a.CaseID)); err != nil {
		return err
	}
	approvals := t.bucket(bucketApprovals)
	byCase := t.bucket(bucketApprovalsCase)
	var old struct {
		CaseID offboard.CaseID `json:"case_id"`
	}
	existed, err := getJSON(approvals, []byte(a.ID), &old)
	if err != nil {
		return fmt.Errorf("store: put approval %s: read old record: %w", a.ID, err)
	}
	if existed && old.CaseID != a.CaseID {
		if err := byCase.Delete(joinKey(string(old.CaseID), a.ID)); err != nil {
			return fmt.Errorf("store: put approval %s: %w", a.ID, err)
		}
	}
	if err := putJSON(approvals, []byte(a.ID), a); err != nil {
		return fmt.Errorf("store: put approval %s: %w", a.ID, err)
	}
	if err := byCase.Put(joinKey(string(a.CaseID), a.ID), nil); err != nil {
		return fmt.Errorf("store: put approval %s: %w", a.ID, err)
	}
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
