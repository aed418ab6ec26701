package slack

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestChannelName(t *testing.T) {
	const tpl = "offboard-{first}-{last}-{case_id}"
	cases := []struct {
		name string
		c    offboard.Case
		want string
	}{
		{"plain", offboard.Case{ID: "OFF-0042", Employee: offboard.Employee{Name: "Jane Doe"}}, "offboard-jane-doe-off-0042"},
		{"accents", offboard.Case{ID: "OFF-0007", Employee: offboard.Employee{Name: "José Müller-Łukasz"}}, "offboard-jose-muller-lukasz-off-0007"},
		{"middle names", offboard.Case{ID: "OFF-0001", Employee: offboard.Employee{Name: "Mary Ann O'Neil Smith"}}, "offboard-mary-smith-off-0001"},
		{"name from email", offboard.Case{ID: "OFF-0003", Employee: offboard.Employee{Name: "kim.lee@example.com", Email: "kim.lee@example.com"}}, "offboard-kim-lee-off-0003"},
		{"injection attempt", offboard.Case{ID: "OFF-0004", Employee: offboard.Employee{Name: "<!channel> Bob"}}, "offboard-channel-bob-off-0004"},
		{"non-latin", offboard.Case{ID: "OFF-0005", Employee: offboard.Employee{Name: "王 小明"}}, "offboard-off-0005"},
		{"confidential", offboard.Case{ID: "OFF-0042", Confidential: true, Employee: offboard.Employee{Name: "Jane Doe"}}, "ofb-0042"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ChannelName(tpl, &tc.c); got != tc.want {
				t.Fatalf("ChannelName = %q, want %q", got, tc.want)
			}
		})
	}
	long := offboard.Case{ID: "OFF-0009", Employee: offboard.Employee{Name: strings.Repeat("Alexander ", 20) + "Long"}}
	got := ChannelName(tpl, &long)
	if len(got) > 80 || strings.HasSuffix(got, "-") {
		t.Fatalf("long name %q (%d chars)", got, len(got))
	}
	if s := WithSuffix(got, 12); len(s) > 80 || !strings.HasSuffix(s, "-12") {
		t.Fatalf("WithSuffix = %q", s)
	}
}
