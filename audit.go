package offboard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Audit outcomes.
const (
	OutcomeOK         = "ok"
	OutcomeRefused    = "refused"    // a person or system tried something not allowed or invalid
	OutcomeFailed     = "failed"     // an action failed
	OutcomeUnverified = "unverified" // an action ran but the read-back disagrees
	OutcomeRetry      = "retry"      // an action failed and will be tried again
)

// AuditEvent is one entry of the tamper-evident audit chain. Events are
// appended by the engine in the same transaction as the change they
// describe; the store fills Seq, PrevHash and Hash.
type AuditEvent struct {
	Seq      uint64            `json:"seq"`
	Time     time.Time         `json:"time"`
	Actor    Actor             `json:"actor"`
	Action   string            `json:"action"` // "case.opened", "task.done", "command.refused", …
	CaseID   CaseID            `json:"case_id,omitempty"`
	Target   string            `json:"target,omitempty"` // task key or approval id
	Outcome  string            `json:"outcome"`
	Detail   string            `json:"detail,omitempty"`
	Evidence map[string]string `json:"evidence,omitempty"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// CanonicalBytes is the encoding the chain hashes: JSON of the event with
// Hash empty. encoding/json writes struct fields in declaration order and
// map keys sorted, so the bytes are stable across decode and re-encode.
func (e AuditEvent) CanonicalBytes() ([]byte, error) {
	e.Hash = ""
	e.Time = e.Time.UTC()
	return json.Marshal(e)
}

// ComputeHash returns hex(SHA-256(prevHash || canonical bytes)). The first
// event's prevHash is "".
func (e AuditEvent) ComputeHash() (string, error) {
	b, err := e.CanonicalBytes()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// AuditFilter selects audit events for export.
type AuditFilter struct {
	CaseID CaseID
	Since  time.Time
	Until  time.Time
}

// Match reports whether e passes the filter.
func (f AuditFilter) Match(e *AuditEvent) bool {
	if f.CaseID != "" && e.CaseID != f.CaseID {
		return false
	}
	if !f.Since.IsZero() && e.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !e.Time.Before(f.Until) {
		return false
	}
	return true
}

// AuditVerifyResult is the outcome of recomputing the chain.
type AuditVerifyResult struct {
	Events   uint64 `json:"events"`
	HeadHash string `json:"head_hash"`
	OK       bool   `json:"ok"`
	// BadSeq is the first event whose hash or link does not match.
	BadSeq  uint64 `json:"bad_seq,omitempty"`
	Problem string `json:"problem,omitempty"`
}
