package etcdstore

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// The wake index, as store/wake.go keeps it in bbolt: idx/wake/ orders
// cases by when Tick must next look at them, wake_by_case/ says where
// each case sits, so a change moves its entry in the same transaction.
//
//	idx/wake/<wake nanos><case id> → "1"
//	wake_by_case/<case id>         → <wake nanos>

// Wake returns when Tick must next look at case id; zero when never.
func (t *tx) Wake(id offboard.CaseID) (time.Time, error) {
	v, err := t.get(kindWakeByCase + string(id))
	if err != nil || v == nil {
		return time.Time{}, err
	}
	if len(v) != 8 {
		return time.Time{}, fmt.Errorf("etcdstore: wake of case %s: value of %d bytes, want 8", id, len(v))
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(), nil
}

// SetWake records when Tick must next look at case id (zero: never) and
// moves its index entry. Setting the time already stored writes nothing,
// so it is allowed in a read-only transaction, as in bbolt.
func (t *tx) SetWake(id offboard.CaseID, at time.Time) error {
	old, err := t.Wake(id)
	if err != nil {
		return err
	}
	if !at.IsZero() {
		at = time.Unix(0, int64(timeKey(at))).UTC()
	}
	if old.Equal(at) {
		return nil
	}
	if err := t.mustWrite("set wake"); err != nil {
		return err
	}
	if !old.IsZero() {
		t.del(kindIdxWake + u64(timeKey(old)) + string(id))
	}
	if at.IsZero() {
		t.del(kindWakeByCase + string(id))
		return nil
	}
	t.put(kindIdxWake+u64(timeKey(at))+string(id), indexMark)
	t.put(kindWakeByCase+string(id), []byte(u64(timeKey(at))))
	return nil
}

// DueWakes returns up to limit cases (all if limit <= 0) whose wake time
// is at or before now, earliest first. It reads only the index range up
// to now, so a case woken later does not conflict.
func (t *tx) DueWakes(now time.Time, limit int) ([]offboard.CaseID, error) {
	until := timeKey(now)
	end := kindIdxWake + u64(until+1)
	if until == 1<<63-1 {
		end = prefixEnd(kindIdxWake)
	}
	kvs, err := t.scan(kindIdxWake, end)
	if err != nil {
		return nil, err
	}
	var ids []offboard.CaseID
	for _, e := range kvs {
		rest := strings.TrimPrefix(e.key, kindIdxWake)
		if len(rest) <= 8 {
			return nil, fmt.Errorf("etcdstore: wake index key %q is too short", e.key)
		}
		if binary.BigEndian.Uint64([]byte(rest[:8])) > until {
			break
		}
		ids = append(ids, offboard.CaseID(rest[8:]))
		if limit > 0 && len(ids) >= limit {
			break
		}
	}
	return ids, nil
}

// WakePolicy returns the rules the stored wake times were computed with;
// "" when never recorded.
func (t *tx) WakePolicy() (string, error) {
	v, err := t.get(keyWakePolicy)
	return string(v), err
}

// SetWakePolicy records the rules the stored wake times follow.
func (t *tx) SetWakePolicy(p string) error {
	if err := t.mustWrite("set wake policy"); err != nil {
		return err
	}
	t.put(keyWakePolicy, []byte(p))
	return nil
}
