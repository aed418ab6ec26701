package etcdstore

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
)

// NextCaseID allocates the next case id.
func (t *tx) NextCaseID() (offboard.CaseID, error) {
	if err := t.mustWrite("next case id"); err != nil {
		return "", err
	}
	n, err := t.nextSeq(keySeqCases)
	if err != nil {
		return "", fmt.Errorf("etcdstore: next case id: %w", err)
	}
	return offboard.FormatCaseID(n), nil
}

// LastCaseNumber is the newest case number handed out.
func (t *tx) LastCaseNumber() (uint64, error) { return t.seq(keySeqCases) }

// Case returns a copy of a case, or ENOTFOUND.
func (t *tx) Case(id offboard.CaseID) (*offboard.Case, error) {
	var c offboard.Case
	ok, err := t.getJSON(kindCases+string(id), &c)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: case %s: %w", id, err)
	}
	if !ok {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no case %s", id)
	}
	return &c, nil
}

// PutCase writes a case and moves its email and status index entries
// when they changed.
func (t *tx) PutCase(c *offboard.Case) error {
	if err := t.mustWrite("put case"); err != nil {
		return err
	}
	if err := checkKeyPart("case id", string(c.ID)); err != nil {
		return err
	}
	if err := checkKeyPart("case status", string(c.Status)); err != nil {
		return err
	}
	email := normEmail(c.Employee.Email)
	var old struct {
		Employee struct {
			Email string `json:"email"`
		} `json:"employee"`
		Status offboard.CaseStatus `json:"status"`
	}
	existed, err := t.getJSON(kindCases+string(c.ID), &old)
	if err != nil {
		return fmt.Errorf("etcdstore: put case %s: read old record: %w", c.ID, err)
	}
	if existed {
		if oldEmail := normEmail(old.Employee.Email); oldEmail != email && oldEmail != "" {
			t.del(kindIdxEmail + join(oldEmail, string(c.ID)))
		}
		if old.Status != c.Status {
			t.del(kindIdxStatus + join(string(old.Status), string(c.ID)))
		}
	}
	if err := t.putJSON(kindCases+string(c.ID), c); err != nil {
		return fmt.Errorf("etcdstore: put case %s: %w", c.ID, err)
	}
	if email != "" {
		t.put(kindIdxEmail+join(email, string(c.ID)), indexMark)
	}
	t.put(kindIdxStatus+join(string(c.Status), string(c.ID)), indexMark)
	return t.keepPersonal(c, existed)
}

// CaseIDsByEmail returns the cases of an email, oldest first.
func (t *tx) CaseIDsByEmail(email string) ([]offboard.CaseID, error) {
	email = normEmail(email)
	if email == "" {
		return nil, nil
	}
	return t.caseIDsByPrefix(kindIdxEmail + prefixOf(email))
}

// CaseIDsByStatus returns the cases with a status, oldest first.
func (t *tx) CaseIDsByStatus(st offboard.CaseStatus) ([]offboard.CaseID, error) {
	if st == "" {
		return nil, nil
	}
	return t.caseIDsByPrefix(kindIdxStatus + prefixOf(string(st)))
}

func (t *tx) caseIDsByPrefix(prefix string) ([]offboard.CaseID, error) {
	kvs, err := t.scanPrefix(prefix)
	if err != nil {
		return nil, err
	}
	ids := make([]offboard.CaseID, 0, len(kvs))
	for _, e := range kvs {
		ids = append(ids, offboard.CaseID(strings.TrimPrefix(e.key, prefix)))
	}
	// Key order is string order, which puts OFF-10000 before OFF-9999.
	slices.SortFunc(ids, compareCaseIDs)
	return ids, nil
}

// compareCaseIDs orders case ids by number; ids without one come last.
func compareCaseIDs(a, b offboard.CaseID) int {
	na, oka := a.Number()
	nb, okb := b.Number()
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
