package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// tx implements offboard.Tx over one bbolt transaction. It is valid only
// inside the Update or View that made it.
type tx struct {
	btx   *bolt.Tx
	ended bool
}

var _ offboard.Tx = (*tx)(nil)

// end marks the transaction over; later use is a programming error.
func (t *tx) end() { t.ended = true }

// bucket returns a bucket created by Open.
func (t *tx) bucket(name []byte) *bolt.Bucket {
	if t.ended {
		panic("store: offboard.Tx used after its Update or View returned")
	}
	b := t.btx.Bucket(name)
	if b == nil {
		// Open creates every bucket, so this is a corrupt or foreign file.
		panic(fmt.Sprintf("store: bucket %s is missing", name))
	}
	if t.btx.Writable() && appendMostly(name) {
		b.FillPercent = appendFillPercent
	}
	return b
}

// appendFillPercent is how full bbolt fills pages it splits in buckets
// whose new keys mostly sort last (the default, 0.5, suits random keys
// and leaves such buckets half empty, doubling the file).
const appendFillPercent = 0.9

// appendMostly reports whether new keys in a bucket mostly sort after
// the existing ones: sequence numbers and case ids, which grow.
func appendMostly(name []byte) bool {
	switch string(name) {
	case string(bucketCases), string(bucketTasks), string(bucketAudit), string(bucketAuditCase),
		string(bucketApprovals), string(bucketApprovalsCase):
		return true
	}
	return false
}

// writable returns an error for a write attempted in a View.
func (t *tx) writable(op string) error {
	if !t.btx.Writable() {
		return fmt.Errorf("store: %s: read-only transaction (use Update, not View)", op)
	}
	return nil
}

// getJSON decodes the value at key into v and reports whether it existed.
// Decoding copies, so v does not point into the mmap.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, err
	}
	return true, nil
}

// putJSON encodes v and stores it at key.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// joinKey builds the index key "<a>\x00<b>".
func joinKey(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

// prefixKey builds the scan prefix "<a>\x00".
func prefixKey(a string) []byte {
	k := make([]byte, 0, len(a)+1)
	k = append(k, a...)
	return append(k, 0)
}

// splitKey splits an index key at its first NUL.
func splitKey(k []byte) (string, string) {
	a, b, _ := bytes.Cut(k, []byte{0})
	return string(a), string(b)
}

// scanPrefix calls fn with the rest of each key that starts with prefix,
// and its value, in key order. Both are valid only during the call.
func scanPrefix(b *bolt.Bucket, prefix []byte, fn func(rest, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k[len(prefix):], v); err != nil {
			return err
		}
	}
	return nil
}

// u64 encodes n big-endian, so byte order is numeric order.
func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

// timeKey is t in nanoseconds since the Unix epoch for index keys,
// clamped to [0, MaxInt64] so byte order is time order.
func timeKey(t time.Time) uint64 {
	if t.Unix() < 0 {
		return 0
	}
	if t.Unix() >= math.MaxInt64/int64(time.Second) {
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// checkKeyPart rejects empty values and NUL bytes in strings that become
// part of a key, since NUL separates the parts of index keys.
func checkKeyPart(what, s string) error {
	if s == "" {
		return offboard.Errorf(offboard.EINVALID, "%s is empty", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return offboard.Errorf(offboard.EINVALID, "%s %q contains a NUL byte", what, s)
	}
	return nil
}

// normEmail is the form of an email in idx_email.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// caseNumber is the numeric part of "OFF-0042".
func caseNumber(id offboard.CaseID) (uint64, bool) {
	s, ok := strings.CutPrefix(string(id), "OFF-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// sortCaseIDs sorts ids oldest first — by number, so OFF-9999 comes
// before OFF-10000; ids without a number come last, by string. ids come
// from an index scan in string order, and ids of one length are then
// already in number order ("OFF-%04d" pads below 10,000 only), so a
// stable pass by length sorts the store's own ids in linear time: a
// status index of 100,000 cases is read on every dashboard load.
func sortCaseIDs(ids []offboard.CaseID) {
	if !slices.IsSorted(ids) {
		slices.Sort(ids)
	}
	byLen := map[int][]offboard.CaseID{}
	for _, id := range ids {
		if _, ok := caseNumber(id); !ok || paddedBeyondFour(id) {
			sortCaseIDsSlow(ids)
			return
		}
		byLen[len(id)] = append(byLen[len(id)], id)
	}
	lens := make([]int, 0, len(byLen))
	for l := range byLen {
		lens = append(lens, l)
	}
	slices.Sort(lens)
	i := 0
	for _, l := range lens {
		i += copy(ids[i:], byLen[l])
	}
}

// sortCaseIDsSlow sorts any ids, parsing each number once.
func sortCaseIDsSlow(ids []offboard.CaseID) {
	type keyed struct {
		n  uint64
		ok bool
		id offboard.CaseID
	}
	ks := make([]keyed, len(ids))
	for i, id := range ids {
		n, ok := caseNumber(id)
		ks[i] = keyed{n, ok, id}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		switch {
		case a.ok && b.ok && a.n != b.n:
			return cmp.Compare(a.n, b.n)
		case a.ok && !b.ok:
			return -1
		case !a.ok && b.ok:
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	for i := range ks {
		ids[i] = ks[i].id
	}
}

// paddedBeyondFour reports ids like OFF-00042 whose length says nothing
// of their number; the store never makes them, but an import might.
func paddedBeyondFour(id offboard.CaseID) bool {
	digits := strings.TrimPrefix(string(id), "OFF-")
	return len(digits) > 4 && digits[0] == '0'
}
