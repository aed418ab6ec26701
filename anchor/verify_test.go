package anchor_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/anchor"
)

func TestVerify(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	c := &chain{}
	c.append(10)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	// sign builds a file of checkpoints at seqs, linked, an hour apart.
	sign := func(seqs ...uint64) []offboard.Checkpoint {
		var out []offboard.Checkpoint
		prev := ""
		for i, s := range seqs {
			cp := offboard.SignCheckpoint(offboard.Checkpoint{Seq: s, Head: c.hashes[s-1], Time: t0.Add(time.Duration(i) * time.Hour), Prev: prev}, key)
			prev = cp.Digest()
			out = append(out, cp)
		}
		return out
	}
	encode := func(cps []offboard.Checkpoint) string {
		var b strings.Builder
		for _, cp := range cps {
			line, err := cp.MarshalLine()
			if err != nil {
				t.Fatal(err)
			}
			b.Write(line)
		}
		return b.String()
	}
	good := sign(3, 6, 10)
	backInTime := sign(3, 6)
	backInTime[1].Time = t0.Add(-time.Hour)
	backInTime[1] = offboard.SignCheckpoint(backInTime[1], key)
	tests := []struct {
		name    string
		file    string
		hashes  func([]string) []string
		ok      bool
		badSeq  uint64
		goodSeq uint64
		want    string
	}{
		{name: "good", file: encode(good), ok: true},
		{name: "chain cut to 8", file: encode(good), hashes: func(h []string) []string { return h[:8] },
			badSeq: 10, goodSeq: 6, want: "events were removed from the end"},
		{name: "event 5 rewritten and re-chained", file: encode(good), hashes: func(h []string) []string {
			out := append([]string(nil), h[:4]...)
			for range h[4:] {
				out = append(out, strings.Repeat("9", 64))
			}
			return out
		}, badSeq: 6, goodSeq: 3, want: "the chain was rewritten"},
		{name: "time goes back", file: encode(backInTime), want: "times must not go back"},
		{name: "unknown field", file: strings.Replace(encode(good[:1]), `"v":1`, `"v":1,"x":2`, 1), want: "line 1 is not a checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := &chain{hashes: c.hashes}
			if tt.hashes != nil {
				cc.hashes = tt.hashes(c.hashes)
			}
			res, err := anchor.Verify(context.Background(), strings.NewReader(tt.file), pub, cc.lookup, uint64(len(cc.hashes)))
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() != tt.ok || res.BadSeq != tt.badSeq || (tt.badSeq != 0 && res.GoodSeq != tt.goodSeq) {
				t.Fatalf("ok %v bad %d good %d, want %v %d %d: %q", res.OK(), res.BadSeq, res.GoodSeq, tt.ok, tt.badSeq, tt.goodSeq, res.Problems)
			}
			if tt.want != "" && !strings.Contains(strings.Join(res.Problems, "\n"), tt.want) {
				t.Fatalf("problems %q lack %q", res.Problems, tt.want)
			}
		})
	}

	// A backup: the chain as it was at event 8. Checkpoints 3 and 6 must
	// match it; 10 lies beyond it and is what a restore would lose.
	prefix := func(hashes []string) anchor.Result {
		t.Helper()
		cc := &chain{hashes: hashes}
		res, err := anchor.VerifyPrefix(context.Background(), strings.NewReader(encode(good)), pub, cc.lookup, uint64(len(hashes)))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := prefix(c.hashes[:8]); !res.OK() || res.Beyond != 1 || res.BeyondSeq != 10 || res.LastSeq != 6 {
		t.Errorf("backup at 8: ok %v beyond %d (%d) last %d: %q", res.OK(), res.Beyond, res.BeyondSeq, res.LastSeq, res.Problems)
	}
	// A backup of a rewritten chain is not a prefix of the signed one.
	rewritten := append(append([]string(nil), c.hashes[:4]...), strings.Repeat("9", 64), strings.Repeat("9", 64), strings.Repeat("9", 64), strings.Repeat("9", 64))
	if res := prefix(rewritten); res.OK() || res.BadSeq != 6 || res.Beyond != 1 {
		t.Errorf("rewritten backup: ok %v bad %d beyond %d", res.OK(), res.BadSeq, res.Beyond)
	}
	// Verify itself never accepts a chain shorter than its checkpoints.
	cc := &chain{hashes: c.hashes[:8]}
	if res, _ := anchor.Verify(context.Background(), strings.NewReader(encode(good)), pub, cc.lookup, 8); res.OK() || res.Beyond != 0 {
		t.Errorf("Verify accepted a cut chain: beyond %d", res.Beyond)
	}
}
