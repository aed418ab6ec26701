package offboard

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n         int
		one, many string
		want      string
	}{
		{0, "item", "", "0 items"},
		{1, "item", "", "1 item"},
		{2, "item", "", "2 items"},
		{1, "person", "people", "1 person"},
		{5, "person", "people", "5 people"},
	} {
		if got := Count(c.n, c.one, c.many); got != c.want {
			t.Errorf("Count(%d, %q, %q) = %q, want %q", c.n, c.one, c.many, got, c.want)
		}
	}
}

func TestPersonWords(t *testing.T) {
	if got := PersonWords("Mona Manager", "mona@x"); got != "Mona Manager" {
		t.Errorf("named: %q", got)
	}
	if got := PersonWords("", "mona@x"); got != "mona@x" {
		t.Errorf("unnamed: %q", got)
	}
}
