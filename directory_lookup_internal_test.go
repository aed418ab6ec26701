package offboard

import (
	"math/rand/v2"
	"testing"
)

// osaFull is the textbook optimal string alignment distance over the
// whole table, to check the banded one against.
func osaFull(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestEditDistance_Banded(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 9))
	word := func(n int) string {
		w := make([]byte, n)
		for i := range w {
			w[i] = "abcde.@"[rnd.IntN(7)]
		}
		return string(w)
	}
	var rows [3][]int
	for range 20_000 {
		a := word(rnd.IntN(12))
		b := []byte(a)
		for range rnd.IntN(5) { // a few random edits
			switch k := rnd.IntN(4); {
			case k == 0 && len(b) > 0:
				i := rnd.IntN(len(b))
				b = append(b[:i:i], b[i+1:]...)
			case k == 1:
				i := rnd.IntN(len(b) + 1)
				b = append(b[:i:i], append([]byte{"abcde.@"[rnd.IntN(7)]}, b[i:]...)...)
			case k == 2 && len(b) > 0:
				b[rnd.IntN(len(b))] = "abcde.@"[rnd.IntN(7)]
			case len(b) > 1:
				i := rnd.IntN(len(b) - 1)
				b[i], b[i+1] = b[i+1], b[i]
			}
		}
		limit := 1 + rnd.IntN(3)
		want := osaFull(a, string(b))
		if want > limit {
			want = -1
		}
		if got := editDistance(a, string(b), limit, &rows); got != want {
			t.Fatalf("editDistance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
		}
	}
}
