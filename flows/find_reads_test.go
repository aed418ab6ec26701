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
	}
	// Four into the records (the email index range, the case, its tasks'
	// range, its approvals' range) and five bucket lookups in the file's
	// root page, which stays resident.
	const most = 9
	if reads[0] != reads[1] || reads[1] > most {
		t.Fatalf("a lookup by email made %d descents with 100 closed cases and %d with 1,000; want the same, at most %d", reads[0], reads[1], most)
	}
}
