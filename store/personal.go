package store

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// bucketPersonal holds, per case opened since retention existed, the
// random key its audit tokens are made with and the plaintext they stand
// for: case id → personalRecord. Created by the first case; a file
// without it is an older store whose cases all predate it.
var bucketPersonal = []byte("personal")

// personalKeySize is the per-case key: 32 bytes from crypto/rand.
const personalKeySize = 32

// personalRecord is a case's key and plaintext; after erasure only
// ErasedAt is left.
type personalRecord struct {
	Key []byte `json:"key,omitempty"`
	// Values maps each token to the personal string it stands for.
	Values   map[string]string `json:"values,omitempty"`
	ErasedAt *time.Time        `json:"erased_at,omitempty"`
}

// personalToken is offboard.PersonalToken: both backends hash alike.
func personalToken(key []byte, value string) string { return offboard.PersonalToken(key, value) }

func (t *tx) personal(id offboard.CaseID) (*personalRecord, error) {
	b := t.btx.Bucket(bucketPersonal)
	if b == nil {
		return nil, nil
	}
	var rec personalRecord
	ok, err := getJSON(b, []byte(id), &rec)
	if err != nil {
		return nil, fmt.Errorf("store: personal record of %s: %w", id, err)
	}
	if !ok {
		return nil, nil
	}
	return &rec, nil
}

func (t *tx) putPersonal(id offboard.CaseID, rec *personalRecord) error {
	b, err := t.btx.CreateBucketIfNotExists(bucketPersonal)
	if err != nil {
		return fmt.Errorf("store: personal record of %s: %w", id, err)
	}
	return putJSON(b, []byte(id), rec)
}

// keepPersonal runs in PutCase. A new case gets its key; a keyed case
// whose name or email changed gets tokens for the new strings (the old
// ones stay, since events already hold them). A case stored before keys
// existed gets none: its events hold plaintext already.
func (t *tx) keepPersonal(c *offboard.Case, existed bool) error {
	rec, err := t.personal(c.ID)
	if err != nil {
		return err
	}
	switch {
	case rec == nil && existed, rec != nil && rec.ErasedAt != nil:
		return nil
	case rec == nil:
		key := make([]byte, personalKeySize)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("store: key of case %s: %w", c.ID, err)
		}
		rec = &personalRecord{Key: key, Values: map[string]string{}}
	}
	changed := false
	for _, s := range offboard.PersonalStrings(c.Employee) {
		if existed && hasValue(rec.Values, s) {
			continue // the common case: no HMAC on every write
		}
		tok := personalToken(rec.Key, s)
		if _, ok := rec.Values[tok]; !ok {
			rec.Values[tok] = s
			changed = true
		}
	}
	if !changed && existed {
		return nil
	}
	return t.putPersonal(c.ID, rec)
}

// tokenise replaces the case's personal strings in e's texts with their
// tokens, longest first (a name may hold a shorter one). Events of cases
// without a key, and events of no case, are left as they are.
func (t *tx) tokenise(e *offboard.AuditEvent) error {
	if e.CaseID == "" {
		return nil
	}
	rec, err := t.personal(e.CaseID)
	if err != nil || rec == nil || rec.ErasedAt != nil || len(rec.Values) == 0 {
		return err
	}
	if offboard.AddAccountNames(rec.Values, rec.Key, e.Evidence) {
		if err := t.putPersonal(e.CaseID, rec); err != nil {
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

// revealer puts plaintext back into events read in one transaction,
// reading each case's record once.
type revealer struct {
	b     *bolt.Bucket
	cache map[offboard.CaseID]*personalRecord
}

func newRevealer(btx *bolt.Tx) *revealer {
	return &revealer{b: btx.Bucket(bucketPersonal), cache: map[offboard.CaseID]*personalRecord{}}
}

func (r *revealer) reveal(e *offboard.AuditEvent) *offboard.AuditEvent {
	if r.b == nil || e.CaseID == "" {
		return e
	}
	rec, ok := r.cache[e.CaseID]
	if !ok {
		rec = &personalRecord{}
		if raw := r.b.Get([]byte(e.CaseID)); raw != nil {
			if err := json.Unmarshal(raw, rec); err != nil {
				rec = &personalRecord{}
			}
		}
		r.cache[e.CaseID] = rec
	}
	if rec.Values == nil && rec.ErasedAt == nil {
		return e
	}
	return offboard.RevealEvent(e, rec.Values, rec.ErasedAt)
}

func hasValue(values map[string]string, s string) bool {
	for _, v := range values {
		if v == s {
			return true
		}
	}
	return false
}
