package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// The weekly chart reads revocations into Monday weeks with their p50
// and p95, and its table says the same as its bars.
func TestAnalytics_Weekly(t *testing.T) {
	e := newEnv(t)
	at := func(t time.Time) *time.Time { return &t }
	err := e.db.Update(context.Background(), func(tx offboard.Tx) error {
		// Week of Mon 9 Nov 2026: revocations after 10m, 20m, 30m, 4h.
		for i, d := range []time.Duration{10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 4 * time.Hour} {
			id, err := tx.NextCaseID()
			if err != nil {
				return err
			}
			notice := time.Date(2026, 11, 10, 9, i, 0, 0, time.UTC)
			c := &offboard.Case{ID: id, Kind: offboard.Involuntary, Status: offboard.CaseCompleted, NoticeAt: notice, CreatedAt: notice,
				UpdatedAt: notice.Add(d), ClosedAt: at(notice.Add(d)), RevokedAt: at(notice.Add(d)), Employee: offboard.Employee{Name: "P", Email: "p@example.com"}}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.get("/analytics")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	wellFormed(t, r)
	i := strings.Index(r.body, `data-label="Week of">9 Nov</th>`)
	if i < 0 {
		t.Fatalf("no row for the week of 9 Nov:\n%s", r.body)
	}
	row := r.body[i : i+strings.Index(r.body[i:], "</tr>")]
	for _, want := range []string{`data-label="Revoked">4<`, `data-label="p50">20m<`, `data-label="p95">4h<`} {
		if !strings.Contains(row, want) {
			t.Errorf("the week's row lacks %q: %s", want, row)
		}
	}
	if !strings.Contains(r.body, "top of the scale 4h") {
		t.Error("the chart's scale is not the tallest p95")
	}
	if n := strings.Count(r.body, `data-label="Week of"`); n != 12 {
		t.Errorf("%d weeks shown, want 12", n)
	}
}
