package etcdstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// auditReadPage bounds the events one request returns to AuditEvents:
// fn may write to a slow client, and nothing is held open meanwhile.
const auditReadPage = 1000

// AuditEvents calls fn with each event that f matches, in sequence
// order, with the plaintext of their case's personal data put back (or
// "[erased on …]"), as the bbolt store's AuditEvents. Pages are read one
// request at a time and fn runs between them; events appended during the
// walk are included when they come after the last page read. With
// f.CaseID set only that case's events are read (audit_case index).
func (s *Store) AuditEvents(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error {
	return s.auditEvents(ctx, f, true, fn)
}

// AuditEventsChained is AuditEvents with each event exactly as the chain
// hashes it: personal data as tokens.
func (s *Store) AuditEventsChained(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error {
	return s.auditEvents(ctx, f, false, fn)
}

func (s *Store) auditEvents(ctx context.Context, f offboard.AuditFilter, reveal bool, fn func(*offboard.AuditEvent) error) error {
	rv := &revealer{s: s, cache: map[offboard.CaseID]*personalRecord{}}
	after := uint64(0)
	for {
		seqs, more, err := s.auditPage(ctx, f.CaseID, after)
		if err != nil {
			return fmt.Errorf("etcdstore: audit events: %w", err)
		}
		events, err := s.auditRecords(ctx, seqs)
		if err != nil {
			return fmt.Errorf("etcdstore: audit events: %w", err)
		}
		for _, e := range events {
			if !f.Match(e) {
				continue
			}
			if reveal {
				if e, err = rv.reveal(ctx, e); err != nil {
					return fmt.Errorf("etcdstore: audit events: %w", err)
				}
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if !more || len(seqs) == 0 {
			return nil
		}
		after = seqs[len(seqs)-1]
	}
}

// auditPage returns the next sequence numbers after after, all events'
// or those of case id (from its index), at most auditReadPage of them.
func (s *Store) auditPage(ctx context.Context, id offboard.CaseID, after uint64) ([]uint64, bool, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	kind := kindAudit
	if id != "" {
		kind = kindAuditCase + prefixOf(string(id))
	}
	from := s.prefix + kind + u64(after+1)
	resp, err := s.cli.Get(ctx, from, clientv3.WithRange(s.prefix+prefixEnd(kind)), clientv3.WithLimit(auditReadPage), clientv3.WithKeysOnly())
	if err != nil {
		return nil, false, err
	}
	seqs := make([]uint64, 0, len(resp.Kvs))
	for _, e := range resp.Kvs {
		k := e.Key[len(s.prefix)+len(kind):]
		if len(k) != 8 {
			return nil, false, fmt.Errorf("audit key %x is not a sequence number", k)
		}
		seqs = append(seqs, binary.BigEndian.Uint64(k))
	}
	return seqs, resp.More, nil
}

// auditRecords reads the events seqs in one request when they are
// consecutive (the whole log), else one transaction of gets per
// maxTxnOps of them; a missing event is an error, as in bbolt.
func (s *Store) auditRecords(ctx context.Context, seqs []uint64) ([]*offboard.AuditEvent, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	raws, err := s.getMany(ctx, kindAudit, seqs)
	if err != nil {
		return nil, err
	}
	out := make([]*offboard.AuditEvent, 0, len(seqs))
	for i, seq := range seqs {
		if raws[i] == nil {
			return nil, fmt.Errorf("audit event %d is missing", seq)
		}
		var e offboard.AuditEvent
		if err := json.Unmarshal(raws[i], &e); err != nil {
			return nil, fmt.Errorf("audit event %d: %w", seq, err)
		}
		out = append(out, &e)
	}
	return out, nil
}

// getMany reads kind+u64(seq) for each seq, maxTxnOps gets per request,
// each batch at one revision; nil where a key is absent.
func (s *Store) getMany(ctx context.Context, kind string, seqs []uint64) ([][]byte, error) {
	out := make([][]byte, 0, len(seqs))
	for len(seqs) > 0 {
		n := min(len(seqs), s.maxTxnOps)
		ops := make([]clientv3.Op, 0, n)
		for _, seq := range seqs[:n] {
			ops = append(ops, clientv3.OpGet(s.prefix+kind+u64(seq)))
		}
		bctx, cancel := s.bounded(ctx)
		resp, err := s.cli.Txn(bctx).Then(ops...).Commit()
		cancel()
		if err != nil {
			return nil, err
		}
		for _, r := range resp.Responses {
			kvs := r.GetResponseRange().Kvs
			if len(kvs) == 0 || len(kvs[0].Value) == 0 {
				out = append(out, nil)
				continue
			}
			out = append(out, kvs[0].Value)
		}
		seqs = seqs[n:]
	}
	return out, nil
}

// AuditHashes returns the stored hash of each event in seqs; a sequence
// number with no event is absent from the map. Only the hash is
// decoded; VerifyAudit is what proves those hashes belong to their events.
func (s *Store) AuditHashes(ctx context.Context, seqs []uint64) (map[uint64]string, error) {
	raws, err := s.getMany(ctx, kindAudit, seqs)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: audit hashes: %w", err)
	}
	out := make(map[uint64]string, len(seqs))
	for i, raw := range raws {
		if raw == nil {
			continue
		}
		var e struct {
			Hash string `json:"hash"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("etcdstore: audit hashes: event %d: %w", seqs[i], err)
		}
		out[seqs[i]] = e.Hash
	}
	return out, nil
}

// revealer puts plaintext back into events, reading each case's
// personal record once per walk.
type revealer struct {
	s     *Store
	cache map[offboard.CaseID]*personalRecord
}

func (r *revealer) reveal(ctx context.Context, e *offboard.AuditEvent) (*offboard.AuditEvent, error) {
	if e.CaseID == "" {
		return e, nil
	}
	rec, ok := r.cache[e.CaseID]
	if !ok {
		rec = &personalRecord{}
		resp, err := r.s.cli.Get(ctx, r.s.prefix+kindPersonal+string(e.CaseID))
		if err != nil {
			return nil, fmt.Errorf("personal record of %s: %w", e.CaseID, err)
		}
		if len(resp.Kvs) > 0 && len(resp.Kvs[0].Value) > 0 {
			if err := json.Unmarshal(resp.Kvs[0].Value, rec); err != nil {
				rec = &personalRecord{}
			}
		}
		r.cache[e.CaseID] = rec
	}
	if rec.Values == nil && rec.ErasedAt == nil {
		return e, nil
	}
	return offboard.RevealEvent(e, rec.Values, rec.ErasedAt), nil
}
