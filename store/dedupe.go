package store

import (
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// dedupeRecord is the value stored under a dedupe key.
type dedupeRecord struct {
	CaseID offboard.CaseID `json:"case_id"`
	At     time.Time       `json:"at"`
}

// Dedupe returns the case recorded under key (a source event id), and
// false if the key was never recorded.
func (t *tx) Dedupe(key string) (offboard.CaseID, bool, error) {
	if key == "" {
		return "", false, nil
	}
	var r dedupeRecord
	ok, err := getJSON(t.bucket(bucketDedupe), []byte(key), &r)
	if err != nil {
		return "", false, fmt.Errorf("store: dedupe %q: %w", key, err)
	}
	return r.CaseID, ok, nil
}

// PutDedupe records that key (a source event id) opened or touched case
// id at time at. A later PutDedupe with the same key replaces it.
func (t *tx) PutDedupe(key string, id offboard.CaseID, at time.Time) error {
	if err := t.writable("put dedupe"); err != nil {
		return err
	}
	if key == "" {
		return offboard.Errorf(offboard.EINVALID, "dedupe key is empty")
	}
	if err := putJSON(t.bucket(bucketDedupe), []byte(key), dedupeRecord{CaseID: id, At: at.UTC()}); err != nil {
		return fmt.Errorf("store: put dedupe %q: %w", key, err)
	}
	return nil
}
