package offboard_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestTally(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	revoked := func(d time.Duration) *time.Time { r := at.Add(d); return &r }
	cases := []*offboard.Case{
		{ID: "OFF-0001", Status: offboard.CaseCompleted, NoticeAt: at, RevokedAt: revoked(3 * time.Hour)},
		{ID: "OFF-0002", Status: offboard.CaseCompleted, NoticeAt: at, RevokedAt: revoked(time.Minute)},
		{ID: "OFF-0003", Status: offboard.CaseCancelled, NoticeAt: at},
		{ID: "OFF-0004", Status: offboard.CaseOpen, NoticeAt: at, RevokedAt: revoked(10 * time.Minute)},
	}
	s := offboard.Tally(cases)
	if s.Cases != 4 || s.Completed != 2 || s.Cancelled != 1 || s.Open != 1 {
		t.Fatalf("counts = %+v", s)
	}
	if len(s.Revoked) != 3 || s.Revoked[0].CaseID != "OFF-0002" || s.Revoked[2].CaseID != "OFF-0001" {
		t.Fatalf("revoked, fastest first = %+v", s.Revoked)
	}
	if pct, ok := s.CompletionRate(); !ok || pct != 50 {
		t.Errorf("completion = %v %v, want 50%%", pct, ok)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 10 * time.Minute}, {95, 3 * time.Hour}, {0, time.Minute}, {34, 10 * time.Minute}, {33, time.Minute}, {33.3, time.Minute}, {30, time.Minute}} {
		if d, ok := s.TimeToRevocation(tc.p); !ok || d != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, d, tc.want)
		}
	}
	if _, ok := offboard.Tally(nil).TimeToRevocation(50); ok {
		t.Error("a percentile of nothing")
	}
	if _, ok := offboard.Tally(nil).CompletionRate(); ok {
		t.Error("a completion rate of nothing")
	}
}
