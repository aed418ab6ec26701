package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
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

// compareCaseIDs orders case ids by number, so OFF-9999 comes before
// OFF-10000; ids without a number come last, by string.
func compareCaseIDs(a, b offboard.CaseID) int {
	na, oka := a.Number()
	nb, okb := b.Number()
	switch {
	case oka && okb:
		return cmp.Or(cmp.Compare(na, nb), cmp.Compare(a, b))
	case oka:
		return -1
	case okb:
		return 1
	}
	return cmp.Compare(a, b)
}

// sortCaseIDs sorts ids oldest first, in compareCaseIDs order.
//
// Index keys arrive in string order, in which numbered ids of one length
// are already in numeric order: a stable counting sort by length puts
// them right in linear time, and a check of neighbours (parsing only
// where lengths differ) confirms it before falling back to a full sort.
// Sorting 100,000 ids by comparison parsed numbers millions of times and
// took most of a status query.
func sortCaseIDs(ids []offboard.CaseID) {
	const other = 32 // the bucket of unnumbered (and absurdly long) ids
	bucket := func(id offboard.CaseID) int {
		if !id.Numbered() || len(id) >= other {
			return other
		}
		return len(id)
	}
	var start [other + 2]int
	for _, id := range ids {
		start[bucket(id)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := make([]offboard.CaseID, len(ids))
	for _, id := range ids {
		b := bucket(id)
		out[start[b]] = id
		start[b]++
	}
	copy(ids, out)
	for i := 1; i < len(ids); i++ {
		a, b := ids[i-1], ids[i]
		// Digits of one length compare as strings as they do as numbers.
		sameLen := len(a) == len(b) && a.Numbered() && b.Numbered()
		if sameLen && a > b || !sameLen && compareCaseIDs(a, b) > 0 {
			slices.SortFunc(ids, compareCaseIDs)
			return
		}
	}
}
