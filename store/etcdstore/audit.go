package etcdstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// auditHead is the value of meta/audit_head: the last event's sequence
// number and hash. Every append reads it and writes it, so two appends
// on one head conflict and the chain cannot fork.
type auditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func (t *tx) head() (auditHead, error) {
	var h auditHead
	if _, err := t.getJSON(keyAuditHead, &h); err != nil {
		return h, fmt.Errorf("etcdstore: audit head: %w", err)
	}
	return h, nil
}

// AppendAudit gives e the next sequence number, links it to the head and
// hashes it exactly as the bbolt store does (offboard.AuditEvent
// .ComputeHash over the canonical bytes), then buffers the event, the new
// head and the case index entry. It changes e to what was stored.
func (t *tx) AppendAudit(e *offboard.AuditEvent) error {
	if err := t.mustWrite("append audit"); err != nil {
		return err
	}
	h, err := t.head()
	if err != nil {
		return err
	}
	if err := t.tokenise(e); err != nil {
		return fmt.Errorf("etcdstore: append audit %s: %w", e.Action, err)
	}
	e.Seq = h.Seq + 1
	e.PrevHash = h.Hash
	e.Time = e.Time.UTC()
	e.Hash = ""
	norm, err := normalizeAudit(e)
	if err != nil {
		return fmt.Errorf("etcdstore: append audit %s: %w", e.Action, err)
	}
	if norm.Hash, err = norm.ComputeHash(); err != nil {
		return fmt.Errorf("etcdstore: append audit %s: %w", e.Action, err)
	}
	raw, err := json.Marshal(norm)
	if err != nil {
		return fmt.Errorf("etcdstore: append audit %s: %w", e.Action, err)
	}
	t.put(kindAudit+u64(norm.Seq), raw)
	if err := t.putJSON(keyAuditHead, auditHead{Seq: norm.Seq, Hash: norm.Hash}); err != nil {
		return fmt.Errorf("etcdstore: append audit %s: %w", e.Action, err)
	}
	if norm.CaseID != "" {
		t.put(kindAuditCase+prefixOf(string(norm.CaseID))+u64(norm.Seq), indexMark)
	}
	*e = norm
	return nil
}

// normalizeAudit returns e as its JSON decodes (invalid UTF-8 becomes
// U+FFFD), so that encoding it again is a fixed point, which the hash
// and VerifyAudit's byte comparison rely on.
func normalizeAudit(e *offboard.AuditEvent) (offboard.AuditEvent, error) {
	raw, err := e.CanonicalBytes()
	if err != nil {
		return offboard.AuditEvent{}, err
	}
	if !bytes.Contains(raw, []byte(`\ufffd`)) {
		return *e, nil
	}
	var norm offboard.AuditEvent
	if err := json.Unmarshal(raw, &norm); err != nil {
		return offboard.AuditEvent{}, err
	}
	return norm, nil
}

// AuditHead returns the last event's sequence number and hash (0 and ""
// for an empty chain).
func (s *Store) AuditHead(ctx context.Context) (uint64, string, error) {
	var h auditHead
	err := s.View(ctx, func(otx offboard.Tx) error {
		var err error
		h, err = otx.(*tx).head()
		return err
	})
	return h.Seq, h.Hash, err
}

// verifyPage is how many events VerifyAudit reads per request.
const verifyPage = 1000

// VerifyAudit recomputes the whole chain at one revision, with the checks
// of the bbolt store's VerifyAudit: no sequence number missing, each
// event decodes, carries its own number, links to the previous hash,
// hashes to its stored hash and is stored as its canonical bytes, and
// the last event is the recorded head. A broken chain is not an error:
// the result has OK false, BadSeq and Problem.
func (s *Store) VerifyAudit(ctx context.Context) (offboard.AuditVerifyResult, error) {
	var res offboard.AuditVerifyResult
	headResp, err := s.get(ctx, s.prefix+keyAuditHead)
	if err != nil {
		return res, fmt.Errorf("etcdstore: verify audit: %w", err)
	}
	rev := headResp.Header.Revision
	var head auditHead
	if len(headResp.Kvs) > 0 {
		if err := json.Unmarshal(headResp.Kvs[0].Value, &head); err != nil {
			res.BadSeq, res.Problem = 1, fmt.Sprintf("the recorded chain head does not decode: %v", err)
			return res, nil
		}
	}
	fail := func(seq uint64, format string, args ...any) (offboard.AuditVerifyResult, error) {
		res.BadSeq = seq
		res.Problem = fmt.Sprintf(format, args...)
		return res, nil
	}
	want := uint64(1)
	prevHash := ""
	from, end := s.prefix+kindAudit, s.prefix+prefixEnd(kindAudit)
	for {
		resp, err := s.get(ctx, from, clientv3.WithRange(end), clientv3.WithRev(rev), clientv3.WithLimit(verifyPage))
		if err != nil {
			return offboard.AuditVerifyResult{}, fmt.Errorf("etcdstore: verify audit: %w", err)
		}
		for _, e := range resp.Kvs {
			k := e.Key[len(s.prefix)+len(kindAudit):]
			if len(k) != 8 {
				return fail(want, "event %d is missing: found key %x instead", want, k)
			}
			seq := binary.BigEndian.Uint64(k)
			if seq != want {
				return fail(want, "event %d is missing", want)
			}
			var ev offboard.AuditEvent
			if err := json.Unmarshal(e.Value, &ev); err != nil {
				return fail(seq, "event %d does not decode: %v", seq, err)
			}
			if ev.Seq != seq {
				return fail(seq, "event %d was altered: it says it is event %d", seq, ev.Seq)
			}
			if ev.PrevHash != prevHash {
				return fail(seq, "event %d was altered or event %d was replaced: prev_hash does not match", seq, seq-1)
			}
			h, err := ev.ComputeHash()
			if err != nil {
				return fail(seq, "event %d cannot be hashed: %v", seq, err)
			}
			if h != ev.Hash {
				return fail(seq, "event %d was altered: hash mismatch", seq)
			}
			if canon, err := json.Marshal(ev); err != nil || !bytes.Equal(canon, e.Value) {
				return fail(seq, "event %d was altered: its stored bytes are not its canonical encoding", seq)
			}
			prevHash = ev.Hash
			res.Events++
			want++
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	res.HeadHash = prevHash
	switch {
	case head.Seq >= want:
		return fail(want, "the chain head does not match: events were removed from the end (event %d of %d is missing)", want, head.Seq)
	case head.Seq < want-1:
		return fail(want-1, "the recorded head (event %d) is behind the last event (%d)", head.Seq, want-1)
	case head.Hash != prevHash:
		return fail(want, "the chain head does not match: events were removed from the end, or the recorded head was altered")
	}
	res.OK = true
	return res, nil
}

// AuditLog returns the chain as an offboard.AuditLog for events that
// change no case; Target, Detail and Evidence pass through redactor
// first (nil: none). Each Append is its own transaction.
func (s *Store) AuditLog(redactor *offboard.Redactor) offboard.AuditLog {
	return offboard.AuditFunc(func(ctx context.Context, ev offboard.AuditEvent) error {
		ev.Target, ev.Detail, ev.Evidence = redactor.String(ev.Target), redactor.String(ev.Detail), redactor.Map(ev.Evidence)
		err := s.Update(ctx, func(otx offboard.Tx) error {
			e := ev // AppendAudit changes its event; a conflict runs this again
			return otx.AppendAudit(&e)
		})
		if err != nil {
			return fmt.Errorf("etcdstore: audit %s: %w", ev.Action, err)
		}
		return nil
	})
}
