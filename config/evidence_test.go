package config_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestEvidence_SLAPolicy(t *testing.T) {
	c := parse(t, "evidence:\n  sla:\n    involuntary: 30m\n    contract_end: 2d\n", noEnv)
	p := c.Evidence.SLAPolicy()
	if r := p.Rule(offboard.Involuntary); r.EndOfLastDay || r.Within.D() != 30*time.Minute {
		t.Errorf("involuntary = %s, want 30m", r)
	}
	if r := p.Rule(offboard.ContractEnd); r.Within.D() != 48*time.Hour {
		t.Errorf("contract_end = %s, want 2d", r)
	}
	// Not set: retirement follows voluntary, which keeps its default.
	if r := p.Rule(offboard.Retirement); !r.EndOfLastDay {
		t.Errorf("retirement = %s, want end_of_last_day", r)
	}
}
