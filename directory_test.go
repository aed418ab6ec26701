package offboard_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestDirectory_Merge(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	d := offboard.NewDirectory("bamboohr", "okta")
	d.SetLabel("bamboohr", "BambooHR")
	d.SetLabel("okta", "Okta")
	// Okta is read first, but BambooHR is ranked above it.
	d.Set("okta", []offboard.Person{
		{Email: "Mona.Manager@example.com", Name: "Mona M.", ManagerEmail: "okta-boss@example.com", TimeZone: "America/Los_Angeles"},
		{Email: "omar@example.com", ManagerEmail: "ada@example.com", TimeZone: "Not/AZone"},
		{Email: "self@example.com", ManagerEmail: "SELF@example.com"},
	}, at)
	if got := d.ManagerOf("mona.manager@EXAMPLE.com"); got != "okta-boss@example.com" {
		t.Fatalf("manager from Okta alone = %q", got)
	}
	d.Set("bamboohr", []offboard.Person{{Email: "mona.manager@example.com", Name: "Mona Manager", ManagerEmail: "Ada@example.com"}}, at)
	if got := d.NameOf("MONA.manager@example.com"); got != "Mona Manager" {
		t.Errorf("name = %q, want the ranked source's", got)
	}
	if got := d.ManagerOf("mona.manager@example.com"); got != "ada@example.com" {
		t.Errorf("ranked source lost: manager = %q, want BambooHR's", got)
	}
	if loc := d.Location("mona.manager@example.com"); loc == nil || loc.String() != "America/Los_Angeles" {
		t.Errorf("time zone Okta alone knows = %v", loc)
	}
	if loc := d.Location("omar@example.com"); loc != nil {
		t.Errorf("unknown zone name gave %v, want nil", loc)
	}
	if got := d.ManagerOf("self@example.com"); got != "" {
		t.Errorf("a person is their own manager: %q", got)
	}
	if got := d.ManagerOf("nobody@example.com"); got != "" {
		t.Errorf("unknown person has manager %q", got)
	}
	// A source's new list replaces its old one entirely.
	d.Set("okta", nil, at.Add(time.Hour))
	if loc := d.Location("mona.manager@example.com"); loc != nil {
		t.Errorf("zone kept after Okta dropped the person: %v", loc)
	}
	st := d.Sources()
	if len(st) != 2 || st[0].Source != "bamboohr" || st[1].Source != "okta" || st[1].People != 0 || !st[1].ReadAt.Equal(at.Add(time.Hour)) {
		t.Errorf("sources = %+v", st)
	}
}

func TestDirectory_Lookup(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	d := offboard.NewDirectory("bamboohr", "okta")
	d.SetLabel("bamboohr", "BambooHR")
	d.SetLabel("okta", "Okta")
	if p := d.Lookup("jane.doe@example.com"); p.Checked {
		t.Fatalf("nothing read yet, but checked: %+v", p)
	}
	d.Set("okta", []offboard.Person{
		{Email: "Jane.Doe@example.com", ManagerEmail: "mona.manager@example.com"},
		{Email: "jane.dole@example.com"},
		{Email: "alex.kim@example.com"},
		{Email: "al@example.com"},
		{Email: "mona.manager@example.com", ManagerEmail: "ada.admin@example.com"},
	}, at)
	d.Set("bamboohr", []offboard.Person{{Email: "priya.patel@example.com"}}, at)
	for _, tc := range []struct {
		email, nearest string
		known          bool
	}{
		{"JANE.DOE@example.com", "", true},
		{"ada.admin@example.com", "", true}, // named only as a manager
		{"jane.doe@exmaple.com", "jane.doe@example.com", false},
		{"jnae.doe@example.com", "jane.doe@example.com", false},
		{"janedoe@example.com", "jane.doe@example.com", false},
		{"jane.doe@example.co", "jane.doe@example.com", false},
		{"jane.doe@old-name.com", "jane.doe@example.com", false}, // same person, old domain
		{"priya.patel@exampel.com", "priya.patel@example.com", false},
		{"ada.admn@example.com", "ada.admin@example.com", false},
		{"jane.do@example.com", "jane.doe@example.com", false}, // one edit beats jane.dole's two
		{"bo@example.com", "", false},                          // short: al@ is two edits, too far
		{"zed.nobody@elsewhere.org", "", false},
	} {
		p := d.Lookup(tc.email)
		if !p.Checked || p.Known != tc.known || p.Nearest != tc.nearest {
			t.Errorf("Lookup(%q) = %+v, want known %v nearest %q", tc.email, p, tc.known, tc.nearest)
		}
	}
	if p := d.Lookup("x@y.z"); len(p.Sources) != 2 || p.Sources[0] != "BambooHR" || p.Sources[1] != "Okta" {
		t.Errorf("sources = %v", p.Sources)
	}
}

// A refusal looks through the whole directory for the nearest email, in
// the engine's transaction: it must stay cheap for a large company.
// Names are pseudo-random letters, as different as real ones.
func BenchmarkDirectory_LookupUnknown(b *testing.B) {
	d := offboard.NewDirectory("okta")
	d.SetLabel("okta", "Okta")
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		w := make([]byte, 3+rnd.IntN(7))
		for i := range w {
			w[i] = byte('a' + rnd.IntN(26))
		}
		return string(w)
	}
	people := make([]offboard.Person, 50_000)
	for i := range people {
		people[i] = offboard.Person{Email: word() + "." + word() + "@example.com"}
	}
	d.Set("okta", people, time.Now())
	want := strings.ToLower(people[4242].Email)
	local, domain, _ := strings.Cut(want, "@")
	typo := local[:1] + local[2:] + "@" + domain // a dropped letter
	b.ResetTimer()
	for b.Loop() {
		if p := d.Lookup(typo); p.Known || p.Nearest == "" {
			b.Fatalf("%s: %+v", typo, p)
		}
	}
}
