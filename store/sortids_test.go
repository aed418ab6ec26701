package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/offboard-dev/offboard"
)

// sortCaseIDs must agree with a plain sort by compareCaseIDs, whatever
// order the ids come in.
func TestSortCaseIDs(t *testing.T) {
	var ids []offboard.CaseID
	for i := 1; i <= 12000; i += 7 {
		ids = append(ids, offboard.FormatCaseID(uint64(i)))
	}
	ids = append(ids, "OFF-100000", "OFF-99999", "OFF-", "OFF-12a", "legacy-7", "OFF-042", "OFF-0042x", "")
	r := rand.New(rand.NewPCG(1, 2))
	for _, order := range []string{"string", "shuffled", "numeric", "reversed"} {
		in := slices.Clone(ids)
		switch order {
		case "string":
			slices.Sort(in) // as index keys come
		case "shuffled":
			r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		case "numeric":
			slices.SortFunc(in, compareCaseIDs)
		case "reversed":
			slices.SortFunc(in, compareCaseIDs)
			slices.Reverse(in)
		}
		want := slices.Clone(in)
		slices.SortFunc(want, compareCaseIDs)
		sortCaseIDs(in)
		if !slices.Equal(in, want) {
			t.Errorf("%s order: sortCaseIDs differs from compareCaseIDs", order)
		}
	}
	got := []offboard.CaseID{"OFF-10000", "OFF-9999"}
	if sortCaseIDs(got); got[0] != "OFF-9999" {
		t.Errorf("OFF-10000 sorts before OFF-9999")
	}
}

// BenchmarkSortCaseIDs_100k sorts a status index of 100,000 ids as the
// index returns them (string order).
func BenchmarkSortCaseIDs_100k(b *testing.B) {
	var ids []offboard.CaseID
	for i := 1; i <= 100_000; i++ {
		ids = append(ids, offboard.CaseID(fmt.Sprintf("OFF-%04d", i)))
	}
	slices.Sort(ids)
	in := slices.Clone(ids)
	for b.Loop() {
		copy(ids, in)
		sortCaseIDs(ids)
	}
}
