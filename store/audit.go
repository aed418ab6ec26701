package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// ctxCheckEvery is how many records long walks read between ctx checks.
const ctxCheckEvery = 4096

// AppendAudit gives e the next sequence number, links it to the chain head
// and hashes it, then stores it. It changes e: Seq, PrevHash and Hash are
// set, Time is made UTC, and the event is normalized to what its JSON
// decodes to (invalid UTF-8 becomes U+FFFD), so the caller holds exactly
// what was stored and what VerifyAudit will recompute.
func (t *tx) AppendAudit(e *offboard.AuditEvent) error {
	if err := t.writable("append audit"); err != nil {
		return err
	}
	audit := t.bucket(bucketAudit)
	meta := t.bucket(bucketMeta)
	// The sequence is only advanced once the event is stored, so a failed
	// append that the caller commits anyway leaves no gap.
	seq := audit.Sequence() + 1

	if err := t.tokenise(e); err != nil {
		return fmt.Errorf("store: append audit %s: %w", e.Action, err)
	}
	e.Seq = seq
	e.PrevHash = string(meta.Get(metaAuditHeadKey))
	e.Time = e.Time.UTC()
	e.Hash = ""
	norm, canonical, err := normalizeAudit(e)
	if err != nil {
		return fmt.Errorf("store: append audit %s: %w", e.Action, err)
	}
	if canonical != nil {
		norm.Hash = chainHash(norm.PrevHash, canonical)
	} else if norm.Hash, err = norm.ComputeHash(); err != nil {
		return fmt.Errorf("store: append audit %s: %w", e.Action, err)
	}
	raw, err := json.Marshal(norm)
	if err != nil {
		return fmt.Errorf("store: append audit %s: %w", e.Action, err)
	}
	if err := audit.Put(u64(seq), raw); err != nil {
		return fmt.Errorf("store: append audit %s: %w", e.Action, err)
	}
	if err := audit.SetSequence(seq); err != nil {
		return fmt.Errorf("store: append audit %s: %w", e.Action, err)
	}
	if err := meta.Put(metaAuditHeadKey, []byte(norm.Hash)); err != nil {
		return fmt.Errorf("store: append audit %s: %w", e.Action, err)
	}
	if norm.CaseID != "" {
		if err := t.bucket(bucketAuditCase).Put(append(prefixKey(string(norm.CaseID)), u64(seq)...), nil); err != nil {
			return fmt.Errorf("store: append audit %s: %w", e.Action, err)
		}
	}
	*e = norm
	return nil
}

// normalizeAudit returns e as its JSON decodes. After this, encoding is a
// fixed point: decode(encode(x)) encodes to the same bytes, which the
// hash and VerifyAudit's byte comparison rely on.
//
// encoding/json writes invalid UTF-8 as the escape \ufffd, which decodes
// to U+FFFD and re-encodes as its raw bytes: the one input whose encoding
// is not already a fixed point. Without that escape the event's first
// encoding is its canonical form, returned so the caller hashes it
// without encoding again (commands append several events each).
func normalizeAudit(e *offboard.AuditEvent) (offboard.AuditEvent, []byte, error) {
	raw, err := e.CanonicalBytes()
	if err != nil {
		return offboard.AuditEvent{}, nil, err
	}
	if !bytes.Contains(raw, []byte(`\ufffd`)) {
		return *e, raw, nil
	}
	var norm offboard.AuditEvent
	if err := json.Unmarshal(raw, &norm); err != nil {
		return offboard.AuditEvent{}, nil, err
	}
	return norm, nil, nil
}

// chainHash is offboard.AuditEvent.ComputeHash over bytes already
// encoded: hex(SHA-256(prevHash || canonical)).
func chainHash(prev string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// auditReadBatch bounds the events one read transaction decodes for
// AuditEvents: fn may write to a slow network client, and a read
// transaction held open meanwhile stops bbolt reusing pages.
const auditReadBatch = 1000

// AuditEvents calls fn with each event that f matches, in sequence order.
// It reads at most auditReadBatch events per read transaction and calls
// fn only after that transaction is closed, then continues after the last
// sequence read, so fn may be slow. The log is append-only: events
// appended during the walk are included when they come after the last
// batch read. With f.CaseID set only that case's events are read. An
// error from fn stops the walk and is returned.
//
// Events come with the plaintext of their case's personal data put back
// (or "[erased on …]" once erased; see personal.go), for people to read:
// their hashes do not cover that text. AuditEventsChained gives them as
// the chain holds them.
func (db *DB) AuditEvents(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error {
	return db.auditEvents(ctx, f, true, fn)
}

// AuditEventsChained is AuditEvents with each event exactly as the chain
// hashes it: personal data as tokens. Exports meant for verifying use it.
func (db *DB) AuditEventsChained(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error {
	return db.auditEvents(ctx, f, false, fn)
}

func (db *DB) auditEvents(ctx context.Context, f offboard.AuditFilter, reveal bool, fn func(*offboard.AuditEvent) error) error {
	after := uint64(0)
	batch := make([]*offboard.AuditEvent, 0, auditReadBatch)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch = batch[:0]
		last, more, err := db.readAuditBatch(f, after, reveal, &batch)
		if err != nil {
			return err
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		after = last
	}
}

// readAuditBatch appends to batch the events matching f among the next
// auditReadBatch sequence numbers after after, in one read transaction.
// It returns the last sequence number read and whether any may follow.
func (db *DB) readAuditBatch(f offboard.AuditFilter, after uint64, reveal bool, batch *[]*offboard.AuditEvent) (last uint64, more bool, err error) {
	err = db.view(func(btx *bolt.Tx) error {
		audit := btx.Bucket(bucketAudit)
		var rv *revealer
		if reveal {
			rv = newRevealer(btx)
		}
		n := 0
		visit := func(seq, raw []byte) error {
			n++
			last = seqOf(seq)
			if raw == nil {
				return fmt.Errorf("store: audit event %d is missing", seqOf(seq))
			}
			var e offboard.AuditEvent
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("store: audit event %d: %w", seqOf(seq), err)
			}
			if f.Match(&e) {
				ev := &e
				if rv != nil {
					ev = rv.reveal(ev)
				}
				*batch = append(*batch, ev)
			}
			return nil
		}
		if f.CaseID != "" {
			prefix := prefixKey(string(f.CaseID))
			c := btx.Bucket(bucketAuditCase).Cursor()
			for k, _ := c.Seek(append(slices.Clip(prefix), u64(after+1)...)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				if n == auditReadBatch {
					more = true
					return nil
				}
				seq := k[len(prefix):]
				if err := visit(seq, audit.Get(seq)); err != nil {
					return err
				}
			}
			return nil
		}
		c := audit.Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil; k, v = c.Next() {
			if n == auditReadBatch {
				more = true
				return nil
			}
			if err := visit(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	return last, more, err
}

func seqOf(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// VerifyAudit recomputes the whole chain in one read transaction. For each
// stored event it checks that no sequence number is missing, that the
// value decodes, carries its own sequence number, links to the previous
// event's hash, hashes to its stored hash, and is byte for byte the
// canonical encoding of what it decodes to (so even a change that JSON
// decoding forgives, such as the case of a field name, is caught). Finally
// the last hash must be the head recorded in meta, which catches events
// removed from the end.
//
// A broken chain is not an error: the result has OK false, BadSeq the
// first bad (or missing) event, and Problem says what is wrong; Events
// then counts the events verified before it. Errors are for a cancelled
// ctx or an unreadable store.
func (db *DB) VerifyAudit(ctx context.Context) (offboard.AuditVerifyResult, error) {
	if err := ctx.Err(); err != nil {
		return offboard.AuditVerifyResult{}, err
	}
	var res offboard.AuditVerifyResult
	err := withFaultsAsPanics(db.path, func() error { return db.verifyAudit(ctx, &res) })
	if err != nil {
		return offboard.AuditVerifyResult{}, fmt.Errorf("store: verify audit: %w", err)
	}
	return res, nil
}

func (db *DB) verifyAudit(ctx context.Context, res *offboard.AuditVerifyResult) error {
	return db.view(func(btx *bolt.Tx) error {
		audit := btx.Bucket(bucketAudit)
		head := string(btx.Bucket(bucketMeta).Get(metaAuditHeadKey))
		want := uint64(1)
		prevHash := ""
		fail := func(seq uint64, format string, args ...any) error {
			res.BadSeq = seq
			res.Problem = fmt.Sprintf(format, args...)
			return nil
		}
		c := audit.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if want%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != 8 {
				return fail(want, "event %d is missing: found key %x instead", want, k)
			}
			seq := binary.BigEndian.Uint64(k)
			if seq != want {
				return fail(want, "event %d is missing", want)
			}
			if v == nil {
				return fail(seq, "event %d is not a record", seq)
			}
			var ev offboard.AuditEvent
			if err := json.Unmarshal(v, &ev); err != nil {
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
			canon, err := json.Marshal(ev)
			if err != nil || !bytes.Equal(canon, v) {
				return fail(seq, "event %d was altered: its stored bytes are not its canonical encoding", seq)
			}
			prevHash = ev.Hash
			res.Events++
			want++
		}
		res.HeadHash = prevHash
		switch {
		case audit.Sequence() >= want:
			return fail(want, "the chain head does not match: events were removed from the end (event %d of %d is missing)", want, audit.Sequence())
		case audit.Sequence() < want-1:
			// The next append would reuse a number and overwrite an event.
			return fail(want-1, "the audit sequence counter (%d) is behind the last event (%d)", audit.Sequence(), want-1)
		case head != prevHash:
			return fail(want, "the chain head does not match: events were removed from the end, or the recorded head was altered")
		}
		res.OK = true
		return nil
	})
}
