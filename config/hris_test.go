package config_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestHRIS_Defaults(t *testing.T) {
	c := parse(t, "hris:\n  bamboohr:\n    termination_types:\n      Layoff: involuntary\n", noEnv)
	tt := c.HRIS.BambooHR.TerminationTypes
	if tt["Layoff"] != offboard.Involuntary || tt["Resignation"] != offboard.Voluntary || tt["End of contract"] != offboard.ContractEnd {
		t.Errorf("termination_types = %v", tt)
	}
	if f := c.HRIS.Generic.Fields; f.Email != "email" || f.TerminationDate != "termination_date" || f.EventID != "event_id" {
		t.Errorf("fields = %+v", f)
	}
}

func TestHRIS_Validation(t *testing.T) {
	src := `hris:
  bamboohr:
    termination_types:
      "Termination (Involuntary)": fired
  generic:
    token: short
    fields:
      email: ""
      termination_date: "data.events[x].date"
`
	msg := parseErr(t, src, noEnv).Error()
	for _, want := range []string{
		`config.yaml:4: hris.bamboohr.termination_types["Termination (Involuntary)"]: unknown departure kind "fired"`,
		"config.yaml:6: hris.generic.token: too short",
		"config.yaml:8: hris.generic.fields.email: required",
		"config.yaml:9: hris.generic.fields.termination_date: array index must be a number",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}
