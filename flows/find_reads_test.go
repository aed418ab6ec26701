package flows_test

import (
	"fmt"
	"testing"

	"github.com/offboard-dev/offboard"
)

// TestEngine_FindCases_ReadsOnlyThePersonsCase: a status lookup by email
// descends into the file as often with 1,000 closed cases as with 100 (an
// index range, the case, its tasks and approvals; no walk of other
// cases, no audit), and no more than that.
func TestEngine_FindCases_ReadsOnlyThePersonsCase(t *testing.T) {
	var reads []uint64
	var allocs []float64
	for _, n := range []int{100, 1000} {
		h := newHarness(t)
		writeHistory(t, h, n)
		// Other people's open cases with approvals and audit events.
		for i := range 3 {
			h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31", Employee: offboard.Employee{
				Name: "Other Person", Email: fmt.Sprintf("other%d@example.com", i), ManagerEmail: manager.Email}})
		}
		before := h.db.ReadCursors()
		views, err := h.engine.FindCases(h.ctx, hr, "Person42@example.com ")
		if err != nil {
			t.Fatal(err)
		}
		if len(views) != 1 || views[0].Case.Employee.Email != "person42@example.com" || len(views[0].Tasks) == 0 {
			t.Fatalf("%d closed: found %d cases for person42", n, len(views))
		}
		reads = append(reads, h.db.ReadCursors()-before)
		// A cursor counts once however far it walks, so a walk of every
		// case on one cursor would pass the bound above: the allocations
		// of a lookup (a walk decodes what it reads) must not grow with
		// the closed cases either.
		allocs = append(allocs, testing.AllocsPerRun(5, func() {
			if _, err := h.engine.FindCases(h.ctx, hr, "person42@example.com"); err != nil {
				t.Fatal(err)
			}
		}))
	}
	t.Logf("allocations per lookup: %.0f with 100 closed cases, %.0f with 1,000", allocs[0], allocs[1])
	if allocs[1] > allocs[0]*1.1+20 {
		t.Errorf("a lookup by email allocates %.0f times with 1,000 closed cases and %.0f with 100: it reads more than the person's case", allocs[1], allocs[0])
	}
	// Four into the records (the email index range, the case, its tasks'
	// range, its approvals' range) and five bucket lookups in the file's
	// root page, which stays resident.
	const most = 9
	if reads[0] != reads[1] || reads[1] > most {
		t.Fatalf("a lookup by email made %d descents with 100 closed cases and %d with 1,000; want the same, at most %d", reads[0], reads[1], most)
	}
}
