package store

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestSortCaseIDs(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []offboard.CaseID
	}{
		{"store's own ids", []offboard.CaseID{"OFF-0001", "OFF-0042", "OFF-0999", "OFF-1000", "OFF-9999", "OFF-10000", "OFF-10001", "OFF-99999", "OFF-100000"}},
		{"imported oddities", []offboard.CaseID{"OFF-0001", "OFF-00002", "OFF-0003", "OFF-10000", "LEGACY-7", "OFF-x"}},
	} {
		for range 20 {
			got := slices.Clone(tc.want)
			rand.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
			sortCaseIDs(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s: sorted %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}
