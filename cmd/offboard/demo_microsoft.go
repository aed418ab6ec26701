package main

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphfake"
)

// Sample SKUs of the Microsoft demo, priced in demoMicrosoftLicenses.
const (
	demoSkuE3        = "SPE_E3"
	demoSkuVisio     = "VISIOCLIENT"
	demoOfflineFirst = "Sam" // whose laptop is off, so its lock stays pending
)

// demoExtraIT join roles: it when fewer than three are configured: a wipe
// needs two IT approvers besides the IT person who asks for it.
var demoExtraIT = []string{"iris.it@example.com", "owen.it@example.com"}

// demoMicrosoftLicenses price the demo SKUs for the license report
// (`licenses:` keys are SKU part numbers, lower case).
func demoMicrosoftLicenses() map[string]float64 {
	return map[string]float64{strings.ToLower(demoSkuE3): 36, strings.ToLower(demoSkuVisio): 15}
}

// startMicrosoftDemo runs the fake Microsoft Graph from
// connectors/microsoft/graphfake on loopback, seeded with the demo
// people (each with two MFA methods, a delegated grant, groups, a
// license and one managed laptop), and points entra and intune at it,
// so revocations and device commands run through the real Graph client.
// Okta stays off. Only with `demo_flavour: microsoft` and no real Entra
// ID configured; it returns the func that stops it.
func startMicrosoftDemo(cfg *config.Config, log *slog.Logger) (stop func(), err error) {
	if cfg.EntraEnabled() {
		log.Warn("demo_flavour is microsoft but entra.tenant_id is configured: the real Entra ID is used, no fake is started")
		return func() {}, nil
	}
	srv, err := graphfake.NewServer()
	if err != nil {
		return nil, fmt.Errorf("demo: fake Microsoft Graph: %w", err)
	}
	seedMicrosoftDemo(srv, time.Now())
	cfg.Entra = config.Entra{TenantID: graphfake.TenantID, ClientID: graphfake.ClientID,
		ClientSecret: config.Secret(graphfake.ClientSecret), GraphURL: srv.URL, LoginURL: srv.URL,
		RequestTimeout: cfg.Entra.RequestTimeout}
	cfg.Intune.Enabled = true
	if len(cfg.Licenses) == 0 {
		cfg.Licenses = demoMicrosoftLicenses()
	}
	// The demo lets you act as anyone under roles:, so make sure a wipe
	// can be asked for by one IT person and approved by two others.
	it := slices.Clone(cfg.Roles[offboard.RoleIT])
	for _, extra := range demoExtraIT {
		if len(it) < 3 && !slices.Contains(it, extra) {
			it = append(it, extra)
			log.Warn("demo: an IT person is added so that a wipe can get its two IT approvers", "it", extra)
		}
	}
	if cfg.Roles == nil {
		cfg.Roles = map[offboard.Role][]string{}
	}
	cfg.Roles[offboard.RoleIT] = it
	log.Warn("DEMO mode: a fake Microsoft Graph (Entra ID and Intune) with sample people runs on loopback; "+
		"revocations and device commands go through the real Graph client to it",
		"graph_url", srv.URL, "people", len(demoPeople()), "try", "jane.doe@example.com",
		"offline_laptop", strings.ToLower(demoOfflineFirst)+".rivera@example.com")
	return srv.Close, nil
}

// seedMicrosoftDemo adds the demo people to the fake tenant.
func seedMicrosoftDemo(srv *graphfake.Server, now time.Time) {
	allStaff := srv.AddGroup(graphfake.Group{DisplayName: "All staff",
		License: graphfake.License{SkuID: "05e9a617-0261-4cee-bb44-138d3ef5d965", SkuPartNumber: demoSkuE3}})
	engineering := srv.AddGroup(graphfake.Group{DisplayName: "Engineering"})
	// Fixed object ids, so each person's manager can be named before the
	// manager is added (Entra is the demo's directory: escalations go to
	// these managers).
	people := demoPeople()
	objectID := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1) }
	byHandle := map[string]string{}
	for i, p := range people {
		byHandle[strings.ToLower(p.first+"."+p.last)] = objectID(i)
	}
	for i, p := range people {
		email := strings.ToLower(p.first + "." + p.last + "@example.com")
		u := graphfake.User{ID: objectID(i), ManagerID: byHandle[p.manager],
			UserPrincipalName: email, Mail: email, DisplayName: p.first + " " + p.last,
			AccountEnabled: true,
			Methods: []graphfake.Method{{Type: "microsoftAuthenticatorAuthenticationMethod"},
				{Type: "phoneAuthenticationMethod"}},
			Groups:   []string{allStaff, engineering},
			AppRoles: []graphfake.AppRole{{Resource: "Salesforce"}},
		}
		if i%2 == 0 {
			// A direct license too, so the report prices more than one SKU.
			u.Licenses = []graphfake.License{{SkuID: "c5928f49-12ba-48f7-ada3-0d743a3601d5", SkuPartNumber: demoSkuVisio}}
		}
		id := srv.AddUser(u)
		srv.AddGrant(graphfake.Grant{PrincipalID: id, ClientID: fmt.Sprintf("demo-app-%d", i), Scope: "Mail.Read Files.Read"})
		online := p.first != demoOfflineFirst
		lastSync := now.Add(-time.Duration(1+i%4) * time.Hour)
		if !online {
			lastSync = now.Add(-72 * time.Hour)
		}
		srv.AddDevice(graphfake.ManagedDevice{UserID: id, DeviceName: strings.ToUpper(p.first) + "-LAPTOP",
			Model: "MacBook Pro", Manufacturer: "Apple", Serial: fmt.Sprintf("C02DEMO%02d", i), OS: "macOS",
			OSVersion: "14.5", LastSync: lastSync, Compliance: "compliant", Encrypted: true, Online: online})
	}
}
