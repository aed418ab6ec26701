package etcdstore

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// personalRecord is a case's token key and the plaintext its tokens stand
// for; after erasure only ErasedAt is left. Same shape as the bbolt
// store's, so a migration copies it as is.
type personalRecord struct {
	Key      []byte            `json:"key,omitempty"`
	Values   map[string]string `json:"values,omitempty"`
	ErasedAt *time.Time        `json:"erased_at,omitempty"`
}

// personalToken is offboard.PersonalToken: both backends hash alike.
func personalToken(key []byte, value string) string { return offboard.PersonalToken(key, value) }

func (t *tx) personal(id offboard.CaseID) (*personalRecord, error) {
	var rec personalRecord
	ok, err := t.getJSON(kindPersonal+string(id), &rec)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: personal record of %s: %w", id, err)
	}
	if !ok {
		return nil, nil
	}
	return &rec, nil
}

// keepPersonal runs in PutCase: a new case gets its key, a keyed case
// whose name or email changed gets tokens for the new strings.
func (t *tx) keepPersonal(c *offboard.Case, existed bool) error {
	rec, err := t.personal(c.ID)
	if err != nil {
		return err
	}
	switch {
	case rec == nil && existed, rec != nil && rec.ErasedAt != nil:
		return nil
	case rec == nil:
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("etcdstore: key of case %s: %w", c.ID, err)
		}
		rec = &personalRecord{Key: key, Values: map[string]string{}}
	}
	changed := false
	for _, s := range offboard.PersonalStrings(c.Employee) {
		tok := personalToken(rec.Key, s)
		if _, ok := rec.Values[tok]; !ok {
			rec.Values[tok] = s
			changed = true
		}
	}
	if !changed && existed {
		return nil
	}
	return t.putJSON(kindPersonal+string(c.ID), rec)
}

// tokenise replaces the case's personal strings in e's texts with their
// tokens, longest first; events of no case or of unkeyed cases stay.
func (t *tx) tokenise(e *offboard.AuditEvent) error {
	if e.CaseID == "" {
		return nil
	}
	rec, err := t.personal(e.CaseID)
	if err != nil || rec == nil || rec.ErasedAt != nil || len(rec.Values) == 0 {
		return err
	}
	if offboard.AddAccountNames(rec.Values, rec.Key, e.Evidence) {
		if err := t.putJSON(kindPersonal+string(e.CaseID), rec); err != nil {
			return err
		}
	}
	offboard.TokeniseEvent(e, rec.Values)
	return nil
}

// PersonalKeyed reports whether the case's events tokenise its personal
// data, or were erased already.
func (t *tx) PersonalKeyed(id offboard.CaseID) (bool, error) {
	rec, err := t.personal(id)
	return rec != nil, err
}
