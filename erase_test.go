package offboard

import (
	"testing"
	"time"
)

func TestReplaceFold(t *testing.T) {
	for _, tc := range []struct{ s, old, want string }{
		{"mail Jane.Doe@Example.com and jane.doe@example.com", "jane.doe@example.com", "mail X and X"},
		{"no match", "jane", "no match"},
		{"Zoë Ñ and zoë ñ", "Zoë Ñ", "X and zoë ñ"}, // not ASCII: exact only
		{"", "jane", ""},
	} {
		if got := ReplaceFold(tc.s, tc.old, "X"); got != tc.want {
			t.Errorf("ReplaceFold(%q, %q) = %q, want %q", tc.s, tc.old, got, tc.want)
		}
	}
}

func TestRevealPersonal(t *testing.T) {
	tok := "[pd:0123456789abcdef0123456789abcdef]"
	values := map[string]string{tok: "Jane Doe"}
	if got := RevealPersonal("departure of "+tok, values, nil); got != "departure of Jane Doe" {
		t.Errorf("kept: %q", got)
	}
	at := time.Date(2032, 2, 29, 9, 0, 0, 0, time.UTC)
	if got := RevealPersonal("departure of "+tok, nil, &at); got != "departure of [erased on 2032-02-29]" {
		t.Errorf("erased: %q", got)
	}
	if got := RevealPersonal("departure of "+tok, nil, nil); got != "departure of "+tok {
		t.Errorf("unknown: %q", got)
	}
}

func TestPersonalStrings(t *testing.T) {
	got := PersonalStrings(Employee{Name: "JANE@x.io", Email: "jane@x.io"})
	if len(got) != 1 || got[0] != "jane@x.io" {
		t.Errorf("same name and email = %q", got)
	}
	if got := PersonalStrings(Employee{Name: "Al", Email: "al@x.io"}); len(got) != 1 {
		t.Errorf("a two-letter name is tokenised: %q", got)
	}
}

func TestCanErase(t *testing.T) {
	if !CanErase(System("retention")) || !CanErase(Actor{Kind: ActorPerson, ID: "a", Roles: []Role{RoleAdmin}}) {
		t.Error("the scheduler or an admin may not erase")
	}
	if CanErase(Actor{Kind: ActorPerson, ID: "h", Roles: []Role{RoleHR}}) || CanErase(Actor{Kind: ActorAPI, ID: "t", Roles: []Role{RoleSystem}}) {
		t.Error("HR, or an API token claiming system, may erase")
	}
}
