package offboard

import (
	"slices"
	"testing"
	"time"
)

func searchDir() *Directory {
	d := NewDirectory("okta")
	d.Set("okta", []Person{
		{Email: "mona.manager@example.com", Name: "Mona Manager"},
		{Email: "jane.doe@example.com", Name: "Jane Doe", ManagerEmail: "mona.manager@example.com"},
		{Email: "john.monaghan@example.com", Name: "John Monaghan", ManagerEmail: "ceo@example.com"},
		{Email: "ian.it@example.com", Name: "Ian IT"},
	}, time.Unix(0, 0))
	return d
}

func emails(ps []Person) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Email)
	}
	return out
}

func TestDirectory_Search(t *testing.T) {
	d := searchDir()
	for _, c := range []struct {
		q    string
		want []string
	}{
		// A name's start first, then a later word's.
		{"mon", []string{"mona.manager@example.com", "john.monaghan@example.com"}},
		{"MONA man", []string{"mona.manager@example.com"}},
		{"doe", []string{"jane.doe@example.com"}},
		{"jane.d", []string{"jane.doe@example.com"}},
		// A manager no source lists is found by email.
		{"ceo", []string{"ceo@example.com"}},
		// Too short, or nothing alike.
		{"m", nil},
		{"  ", nil},
		{"zed", nil},
	} {
		if got := emails(d.Search(c.q, 10)); !slices.Equal(got, c.want) {
			t.Errorf("Search(%q) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := d.Search("mon", 10); got[0].Name != "Mona Manager" {
		t.Errorf("the first hit carries no name: %+v", got[0])
	}
	if got := d.Search("mon", 1); len(got) != 1 {
		t.Errorf("limit 1 gave %d", len(got))
	}
}

// A search never lists more than MaxSearchResults, whatever is asked.
func TestDirectory_Search_Bounded(t *testing.T) {
	var many []Person
	for i := range 40 {
		many = append(many, Person{Email: "sam" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.com", Name: "Sam"})
	}
	d := NewDirectory()
	d.Set("hr", many, time.Unix(0, 0))
	if got := d.Search("sam", 1000); len(got) != MaxSearchResults {
		t.Fatalf("%d results, want %d", len(got), MaxSearchResults)
	}
}
