package config_test

import (
	"strings"
	"testing"
)

func TestParse_Metrics(t *testing.T) {
	c := parse(t, "\ndemo: true\n", noEnv)
	if !c.Metrics.Enabled || c.Metrics.Token != "" {
		t.Errorf("default metrics = %+v, want on, loopback only", c.Metrics)
	}
	env := func(k string) (string, bool) { return "scrape-token-0123456789", k == "OFFBOARD_METRICS_TOKEN" }
	c = parse(t, "\nmetrics:\n  token: ${OFFBOARD_METRICS_TOKEN}\n", env)
	if c.Metrics.Token.Reveal() != "scrape-token-0123456789" {
		t.Errorf("token from the environment = %q", c.Metrics.Token.Reveal())
	}
	ve := parseErr(t, "\nmetrics:\n  token: short\n", noEnv)
	if !strings.Contains(ve.Error(), "metrics.token") || !strings.Contains(ve.Error(), "too short") {
		t.Errorf("short token: %v", ve)
	}
}
