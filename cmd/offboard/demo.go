package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/okta/oktafake"
)

// demoBanner is shown on every dashboard page in demo mode.
const demoBanner = "DEMO — the identity and device systems here are fakes with sample people; nothing real is touched"

// demoPeople are the sample employees of the demo directory.
func demoPeople() []struct{ first, last, manager string } {
	return []struct{ first, last, manager string }{
		{"Jane", "Doe", "mona.manager"}, {"Alex", "Kim", "mona.manager"}, {"Sam", "Rivera", "mona.manager"},
		{"Priya", "Patel", "omar.lead"}, {"Lee", "Chen", "omar.lead"}, {"Maria", "Garcia", "omar.lead"},
		{"Tom", "Becker", "ada.admin"}, {"Aisha", "Khan", "ada.admin"}, {"Olu", "Ade", "ada.admin"},
		{"Nina", "Rossi", "ada.admin"}, {"Mona", "Manager", "ada.admin"}, {"Omar", "Lead", "ada.admin"},
	}
}

// demoLicenses price the demo apps for the license report.
func demoLicenses() map[string]float64 {
	return map[string]float64{"slack": 8.75, "google": 12, "github": 21, "salesforce": 75}
}

// startDemo runs the fake Okta from connectors/okta/oktafake on loopback,
// seeded with sample employees, and points the real Okta connector at
// it, so revocations run through the Okta SDK for real. Only with
// `demo: true` and no real Okta configured; it returns the func that
// stops it. `demo_flavour: microsoft` fakes Microsoft Graph instead, and
// `demo_flavour: google` Google Workspace.
func startDemo(cfg *config.Config, log *slog.Logger) (stop func(), err error) {
	if !cfg.Demo {
		return func() {}, nil
	}
	if cfg.MicrosoftDemo() {
		return startMicrosoftDemo(cfg, log)
	}
	if cfg.GoogleDemo() {
		return startGoogleDemo(cfg, log)
	}
	if cfg.OktaEnabled() {
		log.Warn("demo is set but okta.org_url is configured: the real Okta is used, no fake is started")
		return func() {}, nil
	}
	srv, err := oktafake.NewServer()
	if err != nil {
		return nil, fmt.Errorf("demo: fake Okta: %w", err)
	}
	people := demoPeople()
	for i, p := range people {
		email := strings.ToLower(p.first + "." + p.last + "@example.com")
		srv.AddUser(oktafake.User{Login: email, Email: email, FirstName: p.first, LastName: p.last,
			ManagerID: p.manager + "@example.com",
			Factors:   []oktafake.Factor{{FactorType: "push"}, {FactorType: "token:software:totp"}},
			Grants:    []string{fmt.Sprintf("oag%d", i)},
			Sessions:  1 + i%3, OAuthTokens: i % 2,
			Apps: []oktafake.App{{ID: "0oaslack", Label: "Slack", AppName: "slack"},
				{ID: "0oagoogle", Label: "Google Workspace", AppName: "google"},
				{ID: "0oagithub", Label: "GitHub", AppName: "github"}},
		})
	}
	cfg.Okta.OrgURL = srv.URL()
	cfg.Okta.APIToken = config.Secret(oktafake.Token)
	cfg.Okta.InsecureHTTPForTests = true
	cfg.Okta.RateShare = 1
	if len(cfg.Licenses) == 0 {
		cfg.Licenses = demoLicenses()
	}
	log.Warn("DEMO mode: a fake Okta with sample people runs on loopback; revocations go through the real Okta SDK to it",
		"okta_url", srv.URL(), "people", len(people), "try", "jane.doe@example.com")
	return srv.Close, nil
}
