package flows_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// TestEngine_OpenCase_DateBounds: a last day or an effective time far
// outside the configured window is refused with EINVALID naming the
// field, and nothing is written but the audited refusal. Year 9999 used
// to reach the store, which cannot write years past 9999 (a 503 for
// ever), and 9999-12-17 scheduled a revocation 7,973 years ahead.
func TestEngine_OpenCase_DateBounds(t *testing.T) {
	hris := offboard.System("hris:bamboohr")
	emp := offboard.Employee{Email: jane.Email, ManagerEmail: manager.Email}
	cases := []struct {
		name string
		cmd  offboard.OpenCase
		want string // "" accepts
	}{
		{"last day 9999-12-31", offboard.OpenCase{Kind: offboard.Voluntary, LastDay: "9999-12-31"},
			"last day 9999-12-31 is more than 2 years ahead"},
		{"last day 9999-12-17", offboard.OpenCase{Kind: offboard.Voluntary, LastDay: "9999-12-17"},
			"last day 9999-12-17 is more than 2 years ahead"},
		{"last day just past the horizon", offboard.OpenCase{Kind: offboard.Voluntary, LastDay: "2028-11-26"},
			"last day 2028-11-26 is more than 2 years ahead"},
		{"last day at the horizon", offboard.OpenCase{Kind: offboard.Voluntary, LastDay: "2028-11-24"}, ""},
		{"involuntary, last day long ago", offboard.OpenCase{Kind: offboard.Involuntary, LastDay: "1970-01-01"},
			"last day 1970-01-01 is more than 10 years ago"},
		{"involuntary, last day last month", offboard.OpenCase{Kind: offboard.Involuntary, LastDay: "2026-10-30"}, ""},
		{"effective time in year 9999", offboard.OpenCase{Kind: offboard.Involuntary,
			EffectiveAt: time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -5*3600))},
			"effective time 10000-01-01T04:00:00Z is more than 2 years ahead"},
		{"effective time at epoch zero", offboard.OpenCase{Kind: offboard.Involuntary, EffectiveAt: time.Unix(0, 0)},
			"effective time 1970-01-01T00:00:00Z is more than 10 years ago"},
		{"effective time in year 0", offboard.OpenCase{Kind: offboard.Involuntary,
			EffectiveAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600))},
			"effective time -0001-12-31T23:00:00Z is more than 10 years ago"},
		{"effective time yesterday", offboard.OpenCase{Kind: offboard.Involuntary, EffectiveAt: start.Add(-24 * time.Hour)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.cmd.By, tc.cmd.Employee, tc.cmd.DedupeKey = hris, emp, "bamboohr:1:x"
			if tc.want == "" {
				r := h.apply(tc.cmd)
				if r.Case == nil || r.Case.Status != offboard.CaseOpen {
					t.Fatalf("want an open case, got %+v", r)
				}
				return
			}
			before := h.auditCount()
			h.refuse(tc.cmd, offboard.EINVALID, tc.want)
			// Nothing half-written: no case, no dedupe key, one audit entry.
			if got := h.auditCount(); got != before+1 {
				t.Fatalf("%d audit events added, want the one refusal", got-before)
			}
			if ev := h.lastAudit(); ev.Action != "command.refused" || ev.Outcome != offboard.OutcomeRefused {
				t.Fatalf("last audit = %s %s", ev.Action, ev.Outcome)
			}
			if jobs := h.readyJobs(); len(jobs) != 0 {
				t.Fatalf("%d jobs queued by a refused notice", len(jobs))
			}
			// The same delivery with a sane date then opens a case: the
			// refusal left no dedupe key behind.
			fixed := tc.cmd
			fixed.LastDay, fixed.EffectiveAt = "2026-12-31", time.Time{}
			if r := h.apply(fixed); r.Duplicate || r.Case == nil {
				t.Fatalf("a corrected notice was taken for a duplicate: %+v", r)
			}
		})
	}
}

// TestEngine_OpenCase_DateBoundsConfigured: the window comes from the
// options, and a second notice about an open case is held to it too.
func TestEngine_OpenCase_DateBoundsConfigured(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) { o.MaxFuture, o.MaxPast = 90*24*time.Hour, 30*24*time.Hour })
	h.refuse(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2027-03-01", Employee: offboard.Employee{Email: jane.Email}},
		offboard.EINVALID, "last day 2027-03-01 is more than 90 days ahead")
	c := h.open(offboard.Voluntary, "2026-12-31")
	hris := offboard.System("hris:bamboohr")
	h.refuse(offboard.OpenCase{By: hris, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: jane.Email},
		EffectiveAt: start.Add(-60 * 24 * time.Hour)}, offboard.EINVALID, "effective time 2026-09-26T09:00:00Z is more than 30 days ago")
	if got := h.caseOf(c.ID); got.Kind != offboard.Voluntary || !got.EffectiveAt.IsZero() {
		t.Fatalf("a refused second notice changed the case: kind %s effective %v", got.Kind, got.EffectiveAt)
	}
}

// TestEngine_ActionFailed_FarRetryClamped: a retry time from a vendor
// header (Okta's X-Rate-Limit-Reset is epoch seconds) can be anything; a
// year past 9999 could not be stored and the result would be lost.
func TestEngine_ActionFailed_FarRetryClamped(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	job := h.actionJobs()[0]
	far := time.Unix(999_999_999_999, 0) // year 33658
	h.apply(offboard.ActionFailed{By: runner, JobID: job.ID, Error: "okta rate limit", RateLimited: true, RetryAt: far})
	var got *offboard.Job
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		got, err = tx.Job(job.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := start.Add(flows.MaxRetryDelay); !got.NotBefore.Equal(want) {
		t.Fatalf("job %s of %s deferred to %v, want %v", got.ID, c.ID, got.NotBefore, want)
	}
}
