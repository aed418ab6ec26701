package store

import (
	"fmt"

	"github.com/offboard-dev/offboard"
)

// NextCaseID allocates the next case id from the cases bucket's sequence.
// The number is used even if the transaction then fails.
func (t *tx) NextCaseID() (offboard.CaseID, error) {
	if err := t.writable("next case id"); err != nil {
		return "", err
	}
	n, err := t.bucket(bucketCases).NextSequence()
	if err != nil {
		return "", fmt.Errorf("store: next case id: %w", err)
	}
	return offboard.FormatCaseID(n), nil
}

// LastCaseNumber is the cases bucket's sequence: the newest case number.
func (t *tx) LastCaseNumber() (uint64, error) { return t.bucket(bucketCases).Sequence(), nil }

// Case returns a copy of a case, or ENOTFOUND.
func (t *tx) Case(id offboard.CaseID) (*offboard.Case, error) {
	var c offboard.Case
	ok, err := getJSON(t.bucket(bucketCases), []byte(id), &c)
	if err != nil {
		return nil, fmt.Errorf("store: case %s: %w", id, err)
	}
	if !ok {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no case %s", id)
	}
	return &c, nil
}

// caseIndexed is the part of a stored case the indexes need.
type caseIndexed struct {
	Employee struct {
		Email string `json:"email"`
	} `json:"employee"`
	Status offboard.CaseStatus `json:"status"`
	timeRecord
}

// PutCase writes a case and moves its idx_email, idx_status, idx_revoked
// and idx_closed entries when the email, status or times changed.
func (t *tx) PutCase(c *offboard.Case) error {
	if err := t.writable("put case"); err != nil {
		return err
	}
	if err := checkKeyPart("case id", string(c.ID)); err != nil {
		return err
	}
	email := normEmail(c.Employee.Email)
	if err := checkKeyPart("case status", string(c.Status)); err != nil {
		return err
	}
	cases := t.bucket(bucketCases)
	byEmail := t.bucket(bucketIdxEmail)
	byStatus := t.bucket(bucketIdxStatus)

	var old caseIndexed
	existed, err := getJSON(cases, []byte(c.ID), &old)
	if err != nil {
		return fmt.Errorf("store: put case %s: read old record: %w", c.ID, err)
	}
	if existed {
		if oldEmail := normEmail(old.Employee.Email); oldEmail != email {
			if err := byEmail.Delete(joinKey(oldEmail, string(c.ID))); err != nil {
				return fmt.Errorf("store: put case %s: %w", c.ID, err)
			}
		}
		if old.Status != c.Status {
			if err := byStatus.Delete(joinKey(string(old.Status), string(c.ID))); err != nil {
				return fmt.Errorf("store: put case %s: %w", c.ID, err)
			}
		}
	}
	if err := putJSON(cases, []byte(c.ID), c); err != nil {
		return fmt.Errorf("store: put case %s: %w", c.ID, err)
	}
	if email != "" {
		if err := byEmail.Put(joinKey(email, string(c.ID)), nil); err != nil {
			return fmt.Errorf("store: put case %s: %w", c.ID, err)
		}
	}
	if err := byStatus.Put(joinKey(string(c.Status), string(c.ID)), nil); err != nil {
		return fmt.Errorf("store: put case %s: %w", c.ID, err)
	}
	now := timeRecord{ID: c.ID, RevokedAt: c.RevokedAt, ClosedAt: c.ClosedAt, ErasedAt: c.ErasedAt}
	if err := t.keepTimeIndexes(c.ID, &old.timeRecord, &now); err != nil {
		return err
	}
	return t.keepPersonal(c, existed)
}

// CaseIDsByEmail returns the cases of an email (any case, surrounding
// space ignored), oldest first.
func (t *tx) CaseIDsByEmail(email string) ([]offboard.CaseID, error) {
	email = normEmail(email)
	if email == "" {
		return nil, nil
	}
	return t.caseIDsByPrefix(bucketIdxEmail, email)
}

// CaseIDsByStatus returns the cases with a status, oldest first.
func (t *tx) CaseIDsByStatus(st offboard.CaseStatus) ([]offboard.CaseID, error) {
	if st == "" {
		return nil, nil
	}
	return t.caseIDsByPrefix(bucketIdxStatus, string(st))
}

func (t *tx) caseIDsByPrefix(bucket []byte, value string) ([]offboard.CaseID, error) {
	var ids []offboard.CaseID
	err := scanPrefix(t.bucket(bucket), prefixKey(value), func(rest, _ []byte) error {
		ids = append(ids, offboard.CaseID(rest))
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Key order is string order, which puts OFF-10000 before OFF-9999.
	sortCaseIDs(ids)
	return ids, nil
}
