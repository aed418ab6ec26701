package etcdstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// indexMark is the value of a live index entry (an empty value is a
// tombstone).
var indexMark = []byte("1")

// getJSON decodes the value at key into v and reports whether it existed.
func (t *tx) getJSON(key string, v any) (bool, error) {
	raw, err := t.get(key)
	if err != nil || raw == nil {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// putJSON encodes v and buffers it at key.
func (t *tx) putJSON(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	t.put(key, raw)
	return nil
}

// nextSeq adds one to the counter at key and returns it. Reading the
// counter makes concurrent allocators conflict, so numbers never repeat.
func (t *tx) nextSeq(key string) (uint64, error) {
	n, err := t.seq(key)
	if err != nil {
		return 0, err
	}
	n++
	t.put(key, []byte(strconv.FormatUint(n, 10)))
	return n, nil
}

// seq reads the counter at key (0 when never used).
func (t *tx) seq(key string) (uint64, error) {
	raw, err := t.get(key)
	if err != nil || raw == nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("etcdstore: counter %s is %q: %w", key, raw, err)
	}
	return n, nil
}

// join builds "<a>\x00<b>"; prefixOf builds the scan prefix "<a>\x00".
func join(a, b string) string  { return a + "\x00" + b }
func prefixOf(a string) string { return a + "\x00" }

// u64 encodes n big-endian, so byte order is numeric order.
func u64(n uint64) string { return string(binary.BigEndian.AppendUint64(nil, n)) }

// timeKey is t in nanoseconds since the Unix epoch for keys, clamped to
// [0, MaxInt64] so byte order is time order.
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

// normEmail is the form of an email in idx/email.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
