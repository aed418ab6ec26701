package flows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

func TestReconcileTermination(t *testing.T) {
	const today = "2026-03-02"
	bamboo := offboard.HRSystem{Name: "bamboohr", Label: "BambooHR"}
	jane := func(date string) offboard.Termination {
		return offboard.Termination{EmployeeID: "4242", Email: " jane@example.com ", Name: "Jane Doe", ManagerEmail: "boss@example.com",
			TerminationDate: date, Kind: offboard.Involuntary, KindMapped: true, Type: "Dismissal"}
	}
	active := &offboard.AccountStatus{Found: true, Active: true, Status: "ACTIVE"}
	for _, tc := range []struct {
		name   string
		hr     offboard.HRSystem
		idp    string
		term   func() offboard.Termination
		status *offboard.AccountStatus
		// want: "check", "nothing", "problem:<text>" or "open"
		want string
		// for "open": the case's dedupe key, kind and notes it holds
		key   string
		kind  offboard.DepartureKind
		notes []string
	}{
		{name: "past, not asked yet", term: func() offboard.Termination { return jane("2026-02-27") }, want: "check"},
		{name: "today, not asked yet", term: func() offboard.Termination { return jane(today) }, want: "check"},
		{name: "no date, not asked yet", term: func() offboard.Termination { return jane("") }, want: "check"},
		{name: "future: being active is expected", term: func() offboard.Termination { return jane("2026-04-01") }, status: active, want: "nothing"},
		{name: "no email", term: func() offboard.Termination { t := jane("2026-02-27"); t.Email = " "; return t },
			want: "problem:BambooHR employee 4242 is terminated but has no work email; check Okta by hand"},
		{name: "date is no date", term: func() offboard.Termination { return jane("27/02/2026") },
			want: `problem:BambooHR employee 4242: termination date "27/02/2026" is not a date`},
		{name: "suspended", term: func() offboard.Termination { return jane("2026-02-27") },
			status: &offboard.AccountStatus{Found: true, Status: "SUSPENDED"}, want: "nothing"},
		{name: "not in the identity system", term: func() offboard.Termination { return jane("2026-02-27") },
			status: &offboard.AccountStatus{}, want: "nothing"},
		{name: "terminated and still active", term: func() offboard.Termination { return jane("2026-02-27") }, status: active,
			want: "open", key: "bamboohr:4242:2026-02-27", kind: offboard.Involuntary,
			notes: []string{"Reconciliation: terminated in BambooHR on 2026-02-27 but still ACTIVE in Okta"}},
		{name: "no date: keyed by today", term: func() offboard.Termination { return jane("") }, status: active,
			want: "open", key: "bamboohr:4242:" + today, kind: offboard.Involuntary,
			notes: []string{"Reconciliation: terminated in BambooHR (no termination date) but still ACTIVE in Okta"}},
		{name: "unmapped type", term: func() offboard.Termination {
			t := jane("2026-02-27")
			t.Kind, t.KindMapped, t.Type = offboard.Voluntary, false, "Something odd"
			return t
		}, status: active, want: "open", key: "bamboohr:4242:2026-02-27", kind: offboard.Voluntary,
			notes: []string{"BambooHR termination type Something odd is not mapped; confirm voluntary/involuntary"}},
		{name: "no type, no kind", term: func() offboard.Termination {
			t := jane("2026-02-27")
			t.Kind, t.KindMapped, t.Type = "", false, ""
			return t
		}, status: active, want: "open", key: "bamboohr:4242:2026-02-27", kind: offboard.Voluntary,
			notes: []string{"BambooHR has no termination type; confirm voluntary/involuntary"}},
		{name: "other systems' names", hr: offboard.HRSystem{Name: "workday", Label: "Workday"}, idp: "Entra ID",
			term: func() offboard.Termination { return jane("2026-02-27") }, status: &offboard.AccountStatus{Found: true, Active: true, Status: "enabled"},
			want: "open", key: "workday:4242:2026-02-27", kind: offboard.Involuntary,
			notes: []string{"Reconciliation: terminated in Workday on 2026-02-27 but still enabled in Entra ID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hr, idp := tc.hr, tc.idp
			if hr.Name == "" {
				hr, idp = bamboo, "Okta"
			}
			term := tc.term()
			d := flows.ReconcileTermination(offboard.ReconcileFinding{HR: hr, Identity: idp, Termination: term, Status: tc.status, Today: today})
			set := 0
			for _, b := range []bool{d.Check, d.Problem != "", d.Open != nil} {
				if b {
					set++
				}
			}
			if set > 1 {
				t.Fatalf("more than one answer: %+v", d)
			}
			switch want, _ := strings.CutPrefix(tc.want, "problem:"); {
			case tc.want == "check":
				if !d.Check {
					t.Fatalf("decision %+v, want a check", d)
				}
			case tc.want == "nothing":
				if set != 0 {
					t.Fatalf("decision %+v, want nothing", d)
				}
			case tc.want == "open":
				o := d.Open
				if o == nil {
					t.Fatalf("decision %+v, want a case", d)
				}
				source := "reconcile:" + hr.Name
				if o.DedupeKey != tc.key || o.Kind != tc.kind || o.LastDay != today || o.Source != source ||
					o.By.Kind != offboard.ActorSystem || o.By.ID != source || o.SourceRef != "4242" || o.Employee.Email != "jane@example.com" ||
					o.Employee.HRISID != "4242" || o.Employee.Name != "Jane Doe" || o.Employee.ManagerEmail != "boss@example.com" {
					t.Errorf("open %+v", o)
				}
				if wantAt, _ := time.Parse(time.DateOnly, term.TerminationDate); !o.EffectiveAt.Equal(wantAt) {
					t.Errorf("effective at %v, want %v", o.EffectiveAt, wantAt)
				}
				for _, n := range tc.notes {
					if !strings.Contains(o.Notes, n) {
						t.Errorf("notes %q lack %q", o.Notes, n)
					}
				}
			default:
				if d.Problem != want {
					t.Fatalf("decision %+v, want problem %q", d, want)
				}
			}
		})
	}
}
