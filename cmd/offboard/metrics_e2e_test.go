package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

const metricsToken = "scrape-token-0123456789abcdef"

// scrapeMetrics fetches /metrics with token ("" sends none).
func scrapeMetrics(t *testing.T, url, token string) apiResponse {
	t.Helper()
	return call(t, "GET", url+"/metrics", token, "")
}

// metricValue is the value of the sample named exactly series ("" when
// absent).
func metricValue(body, series string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// The operator's view of serve: /readyz once the workers run; /metrics
// refuses a scraper without the token and, with it, shows the case that
// opened, Okta's requests and the 429 it answered, and the time to
// revocation, never the person's name or email.
func TestServe_Metrics(t *testing.T) {
	fake := oktatest.New(t)
	fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe"})
	// Okta's first answer is a rate limit.
	fake.FailNext("", "/api/v1/users", http.StatusTooManyRequests, "")
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
metrics:
  token: %q
`, fake.URL(), oktatest.Token, metricsToken))
	app := startApp(t, cfgPath, wireOptions{})

	eventually(t, "readyz", func() bool { return call(t, "GET", app.url+"/readyz", "", "").status == http.StatusOK })
	// docker-compose.yaml's health check is this command line.
	if code, _, stderr := runCLI("health", "--url", app.url+"/readyz"); code != 0 {
		t.Errorf("offboard health on /readyz: exit %d %s", code, stderr)
	}
	for _, token := range []string{"", "wrong-token-0123456789abcdef"} {
		if r := scrapeMetrics(t, app.url, token); r.status != http.StatusUnauthorized || strings.Contains(string(r.body), "offboard_cases") {
			t.Fatalf("scrape with token %q: %d %s", token, r.status, r.body)
		}
	}
	before := scrapeMetrics(t, app.url, metricsToken)
	if before.status != http.StatusOK || metricValue(string(before.body), `offboard_cases{status="open"}`) != "0" {
		t.Fatalf("scrape before any case: %d\n%s", before.status, before.body)
	}

	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var body string
	eventually(t, "the revocation in the metrics", func() bool {
		body = string(scrapeMetrics(t, app.url, metricsToken).body)
		return metricValue(body, "offboard_time_to_revocation_seconds_count") == "1"
	})
	if got := metricValue(body, `offboard_cases{status="open"}`); got != "1" {
		t.Errorf("open cases = %q, want 1", got)
	}
	if got := metricValue(body, "offboard_leader"); got != "1" {
		t.Errorf("offboard_leader = %q, want 1 (one process on a bbolt file always leads)", got)
	}
	if got := metricValue(body, `offboard_connector_throttled_total{system="okta"}`); got != "1" {
		t.Errorf("Okta 429s = %q, want 1", got)
	}
	if n, _ := strconv.Atoi(metricValue(body, `offboard_connector_requests_total{system="okta"}`)); n < 5 {
		t.Errorf("Okta requests = %d, want the revocations' and their read-backs", n)
	}
	for _, leak := range []string{"jane", "Jane", "OFF-0001", oktatest.Token} {
		if strings.Contains(body, leak) {
			t.Errorf("the scrape names %q", leak)
		}
	}
}

// metrics.enabled: false serves no /metrics at all.
func TestServe_MetricsOff(t *testing.T) {
	cfgPath := writeConfig(t, t.TempDir(), "metrics:\n  enabled: false\n")
	app := startApp(t, cfgPath, wireOptions{})
	if r := scrapeMetrics(t, app.url, ""); r.status != http.StatusNotFound {
		t.Errorf("/metrics with metrics off: %d", r.status)
	}
}
