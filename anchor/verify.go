package anchor

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"

	"github.com/offboard-dev/offboard"
)

// HashesFunc returns the stored hash of each event in seqs; an event that
// does not exist is absent (store.DB.AuditHashes).
type HashesFunc func(ctx context.Context, seqs []uint64) (map[uint64]string, error)

// maxLine bounds one checkpoint line (they are about 350 bytes).
const maxLine = 64 << 10

// Result is what Verify found.
type Result struct {
	// Checkpoints counts the lines read; Valid those whose signature
	// verifies.
	Checkpoints int
	Valid       int
	// LastSeq is the newest event a valid checkpoint anchors.
	LastSeq uint64
	// BadSeq is the first anchored event the store disagrees with (0:
	// none); GoodSeq the newest anchored event before it that agrees,
	// so the first altered event lies in (GoodSeq, BadSeq].
	BadSeq  uint64
	GoodSeq uint64
	// Problems say what is wrong, in file order, then chain order.
	Problems []string
	// Beyond counts the valid checkpoints that anchor events after the
	// chain's end, which VerifyPrefix accepts (a backup is older than the
	// newest checkpoints); BeyondSeq is the newest such event.
	Beyond    int
	BeyondSeq uint64
}

// OK reports whether the file and the chain agree completely.
func (r Result) OK() bool { return len(r.Problems) == 0 && r.Checkpoints > 0 }

// checkpointLine is one parsed line.
type checkpointLine struct {
	line int
	cp   offboard.Checkpoint
}

// Verify reads a checkpoint file and checks it against pub and the chain:
// every line parses and is signed by pub, links to the line before it
// (so a line removed or edited in the middle shows), sequence numbers
// grow and times never go back; and the chain holds, at every anchored
// sequence number, exactly the signed hash, so a chain cut short or
// re-chained shows. chainLen is the chain's last sequence number, for
// the messages. It reads only.
func Verify(ctx context.Context, r io.Reader, pub ed25519.PublicKey, hashes HashesFunc, chainLen uint64) (Result, error) {
	return verify(ctx, r, pub, hashes, chainLen, false)
}

// VerifyPrefix is Verify for a chain that may legitimately end before the
// newest checkpoints: a backup, taken before them. Every checkpoint up to
// the chain's end must match it exactly; those after it are counted in
// Beyond (the events a restore of this copy would lose), not problems.
func VerifyPrefix(ctx context.Context, r io.Reader, pub ed25519.PublicKey, hashes HashesFunc, chainLen uint64) (Result, error) {
	return verify(ctx, r, pub, hashes, chainLen, true)
}

func verify(ctx context.Context, r io.Reader, pub ed25519.PublicKey, hashes HashesFunc, chainLen uint64, prefix bool) (Result, error) {
	var res Result
	problem := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }
	var valid []checkpointLine
	var prev *offboard.Checkpoint
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		res.Checkpoints++
		raw := bytes.TrimSpace(sc.Bytes())
		var cp offboard.Checkpoint
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if len(raw) == 0 || dec.Decode(&cp) != nil {
			problem("checkpoint line %d is not a checkpoint (edited, or a write was cut off)", n)
			prev = nil
			continue
		}
		if err := cp.VerifySignature(pub); err != nil {
			problem("checkpoint line %d (event %d): %v", n, cp.Seq, err)
		} else {
			res.Valid++
			valid = append(valid, checkpointLine{line: n, cp: cp})
		}
		switch {
		case prev == nil && n == 1 && cp.Prev != "":
			problem("checkpoint line 1 links to a checkpoint before it: lines were removed from the start of the file")
		case prev == nil && n > 1:
			// The line before did not parse; its problem is reported.
		case prev != nil && cp.Prev != prev.Digest():
			problem("checkpoint line %d does not link to line %d: a line between them was removed, or line %d was edited", n, n-1, n-1)
		}
		if prev != nil {
			if cp.Seq <= prev.Seq {
				problem("checkpoint line %d anchors event %d, not after line %d's event %d: sequence numbers must grow", n, cp.Seq, n-1, prev.Seq)
			}
			if cp.Time.Before(prev.Time) {
				problem("checkpoint line %d is dated %s, before line %d (%s): times must not go back", n, cp.Time.UTC().Format("2006-01-02T15:04:05Z"), n-1, prev.Time.UTC().Format("2006-01-02T15:04:05Z"))
			}
		}
		prev = &cp
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("anchor: read checkpoints: %w", err)
	}
	if res.Checkpoints == 0 {
		problem("the checkpoint file is empty: it anchors nothing")
		return res, nil
	}
	seqs := make([]uint64, len(valid))
	for i, v := range valid {
		seqs[i] = v.cp.Seq
	}
	got, err := hashes(ctx, seqs)
	if err != nil {
		return res, err
	}
	for _, v := range valid {
		h, ok := got[v.cp.Seq]
		bad := ""
		switch {
		case !ok && prefix && v.cp.Seq > chainLen:
			res.Beyond++
			res.BeyondSeq = max(res.BeyondSeq, v.cp.Seq)
			continue
		case !ok:
			bad = fmt.Sprintf("the chain ends at event %d but checkpoint line %d anchors event %d: events were removed from the end (truncated)", chainLen, v.line, v.cp.Seq)
		case h != v.cp.Head:
			bad = fmt.Sprintf("event %d's hash is not the one checkpoint line %d signed on %s: the chain was rewritten (re-chained, or truncated and appended to)",
				v.cp.Seq, v.line, v.cp.Time.UTC().Format("2006-01-02T15:04:05Z"))
		}
		if bad == "" {
			if res.BadSeq == 0 {
				res.GoodSeq = v.cp.Seq
			}
			res.LastSeq = max(res.LastSeq, v.cp.Seq)
			continue
		}
		if res.BadSeq == 0 || v.cp.Seq < res.BadSeq {
			res.BadSeq = v.cp.Seq
		}
		problem("%s", bad)
	}
	return res, nil
}
