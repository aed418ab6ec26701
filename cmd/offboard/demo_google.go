package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
)

// The Google demo's administrator, whom the service account acts as. She
// is the admin of the sample configs too, and manages people in the demo
// directory.
const demoGoogleAdmin = "ada.admin@" + googlefake.Domain

// demoGoogleLicense is the Workspace SKU every demo person holds
// (Business Standard, as Google's Products and SKUs page names it).
var demoGoogleLicense = config.GoogleLicense{ProductID: "Google-Apps", SKUID: "1010020028", Name: "Google Workspace Business Standard"}

// demoGooglePrices price the demo SKU for the license report (keys are
// SKU ids or names, lower case).
func demoGooglePrices() map[string]float64 {
	return map[string]float64{demoGoogleLicense.SKUID: 14.40}
}

// startGoogleDemo runs the fake Google APIs from
// connectors/google/googlefake on loopback, seeded with the demo people
// (Drive files, calendar events, an app's OAuth token, an app password,
// backup codes and a Workspace license each) and one administrator, and
// points the google section at it with the fake's service account key,
// so every Google action runs through Google's client libraries to it.
// Okta stays off. Only with `demo_flavour: google` and no real google
// section; it returns the func that stops it.
func startGoogleDemo(cfg *config.Config, log *slog.Logger) (stop func(), err error) {
	if cfg.GoogleEnabled() {
		log.Warn("demo_flavour is google but google.service_account_key is configured: the real Google Workspace is used, no fake is started")
		return func() {}, nil
	}
	srv, err := googlefake.NewServer()
	if err != nil {
		return nil, fmt.Errorf("demo: fake Google Workspace: %w", err)
	}
	seedGoogleDemo(srv)
	cfg.Google.ServiceAccountKey = config.Secret(srv.ServiceAccountKey())
	cfg.Google.AdminEmail = demoGoogleAdmin
	cfg.Google.APIURL = srv.URL
	if len(cfg.Google.Licenses) == 0 {
		cfg.Google.Licenses = []config.GoogleLicense{demoGoogleLicense}
	}
	if len(cfg.Licenses) == 0 {
		cfg.Licenses = demoGooglePrices()
	}
	log.Warn("DEMO mode: fake Google Workspace APIs with sample people run on loopback; "+
		"Google actions go through Google's client libraries to them, as the service account acting as the fake admin",
		"api_url", srv.URL, "admin_email", demoGoogleAdmin, "people", len(demoPeople()), "try", "jane.doe@example.com")
	return srv.Close, nil
}

// seedGoogleDemo adds the administrator and the demo people to the fake
// Workspace.
func seedGoogleDemo(srv *googlefake.Server) {
	srv.AddUser(googlefake.User{PrimaryEmail: demoGoogleAdmin, GivenName: "Ada", FamilyName: "Admin", IsAdmin: true,
		Licenses: []string{demoGoogleLicense.ProductID + "/" + demoGoogleLicense.SKUID}})
	for i, p := range demoPeople() {
		email := strings.ToLower(p.first + "." + p.last + "@" + googlefake.Domain)
		srv.AddUser(googlefake.User{PrimaryEmail: email, GivenName: p.first, FamilyName: p.last,
			DriveFiles: 40 + 17*i, CalendarEvents: 5 + 3*i,
			Tokens: []googlefake.Token{{ClientID: fmt.Sprintf("demo-app-%d.apps.googleusercontent.com", i),
				DisplayText: "Demo Notes", Scopes: []string{"https://www.googleapis.com/auth/drive.readonly"}}},
			ASPs:        []googlefake.ASP{{CodeID: int64(100 + i), Name: "Old mail client"}},
			BackupCodes: []string{fmt.Sprintf("1234%04d", i), fmt.Sprintf("5678%04d", i)},
			Licenses:    []string{demoGoogleLicense.ProductID + "/" + demoGoogleLicense.SKUID},
		})
	}
}
