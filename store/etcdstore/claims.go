package etcdstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// kindClaims holds one key per leased job: claims/<job id>, whose value
// is the lease (hex) of the session that claimed it, bound to that lease.
// A job is leased exactly while its claim key exists, so the jobs of a
// replica that dies come back when its lease expires, with no sweep.
const kindClaims = "claims/"

// noLease is the value of a claim made by a store without a session
// (Store.useLeases never called): such claims last until released, as the
// bbolt store's leases do.
const noLease = clientv3.NoLease

// claim is what a transaction knows of a job's claim key.
type claim struct {
	held  bool
	lease clientv3.LeaseID
}

// claimOf reads job id's claim: the transaction's own write, else the
// claims range ReadyJobs scanned, else a point read (remembered, so the
// commit fails if the claim changes or vanishes with its lease).
func (t *tx) claimOf(id string) (claim, error) {
	key := kindClaims + id
	_, written := t.writes[key]
	if !written && t.claims != nil {
		l, held := t.claims[id]
		return claim{held: held, lease: l}, nil
	}
	if _, seen := t.reads[key]; seen && !written && t.claimSeen[id] != nil {
		return *t.claimSeen[id], nil // read once per transaction (a result reads it thrice)
	}
	c, err := t.readClaim(id)
	if err == nil && !written {
		t.claimSeen[id] = &c
	}
	return c, err
}

func (t *tx) readClaim(id string) (claim, error) {
	raw, err := t.get(kindClaims + id)
	if err != nil {
		return claim{}, fmt.Errorf("etcdstore: claim of job %s: %w", id, err)
	}
	if raw == nil {
		return claim{}, nil
	}
	l, err := parseLease(raw)
	if err != nil {
		return claim{}, fmt.Errorf("etcdstore: claim of job %s: %w", id, err)
	}
	return claim{held: true, lease: l}, nil
}

// scanClaims reads every claim at the snapshot, for a walk of the queue.
// The range is remembered: a job claimed by another replica after the
// snapshot fails the commit. A claim that vanishes with its lease does not
// (a deletion has no revision to compare), which only leaves a job that
// became ready unclaimed until the next walk.
func (t *tx) scanClaims() error {
	kvs, err := t.scanPrefix(kindClaims)
	if err != nil {
		return err
	}
	t.claims = make(map[string]clientv3.LeaseID, len(kvs))
	for _, e := range kvs {
		l, err := parseLease(e.val)
		if err != nil {
			return fmt.Errorf("etcdstore: claim %s: %w", e.key, err)
		}
		t.claims[strings.TrimPrefix(e.key, kindClaims)] = l
	}
	return nil
}

func parseLease(raw []byte) (clientv3.LeaseID, error) {
	n, err := strconv.ParseInt(string(raw), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("claim value %q is no lease id", raw)
	}
	return clientv3.LeaseID(n), nil
}

// fence returns job id's claim, refusing a write this replica may not
// make: a job claimed under another lease is written only by its holder,
// and the result of a run (offboard.WithJobResult, and the JobQueue's
// settle, retry and dead-letter) is recorded only while this replica's
// claim on the job lasts. A store without a session fences nothing.
func (t *tx) fence(id string) (claim, error) {
	c, err := t.claimOf(id)
	if err != nil || t.s.leases == nil {
		return c, err
	}
	result := offboard.JobResultOf(t.ctx) == id
	if (c.held && c.lease != t.lease) || (result && !c.held) {
		return c, &offboard.ClaimLostError{JobID: id}
	}
	return c, nil
}

// takeClaim writes job id's claim under this replica's lease, only if no
// claim exists when the transaction commits.
func (t *tx) takeClaim(id string) error {
	if t.s.leases != nil && t.lease == noLease {
		return fmt.Errorf("etcdstore: claim job %s: this replica has no session (it does not lead)", id)
	}
	key := kindClaims + id
	t.put(key, []byte(strconv.FormatInt(int64(t.lease), 16)))
	if t.lease != noLease {
		t.leased[key] = t.lease
	}
	t.creates = append(t.creates, key)
	return nil
}

// dropClaim deletes job id's claim (releasing the job).
func (t *tx) dropClaim(id string) {
	key := kindClaims + id
	delete(t.leased, key)
	t.del(key)
}

// useLeases makes claims live as long as the lease lease() returns (the
// leader's session) and fences results by it.
func (s *Store) useLeases(lease func() clientv3.LeaseID) { s.leases = lease }

// currentLease is the lease claims are made under now (noLease without a
// session).
func (s *Store) currentLease() clientv3.LeaseID {
	if s.leases == nil {
		return noLease
	}
	return s.leases()
}

// RecoverLeases releases the claims made without a session, which no
// lease ends: those of a store used without an election (a single
// process, tools). Claims under a lease are left to it: they are a live
// replica's, or vanish when its lease expires. It returns how many jobs
// it released.
func (s *Store) RecoverLeases(ctx context.Context) (int, error) {
	resp, err := s.cli.Get(ctx, s.prefix+kindClaims, clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("etcdstore: recover leases: %w", err)
	}
	n := 0
	for _, kv := range resp.Kvs {
		if kv.Lease != int64(noLease) {
			continue
		}
		// Only if untouched since read: a racing settle wins.
		r, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(string(kv.Key)), "=", kv.ModRevision)).
			Then(clientv3.OpDelete(string(kv.Key)), clientv3.OpPut(s.prefix+deletedMarker, "1")).Commit()
		if err != nil {
			return n, fmt.Errorf("etcdstore: recover leases: %w", err)
		}
		if r.Succeeded {
			n++
		}
	}
	return n, nil
}
