package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/bamboohr"
	googleconn "github.com/offboard-dev/offboard/connectors/google"
	msconn "github.com/offboard-dev/offboard/connectors/microsoft"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/internal/metered"
)

// The directory's sources, most trusted first: the HRIS owns reporting
// lines; the identity system (Okta, Entra ID, Google Workspace) adds time
// zones and fills lines the HRIS leaves blank;
// Slack's and Teams' members (emails and names only) rank last: they are
// people too, so a case for someone in chat alone is not taken for a
// typo.
const (
	sourceBambooHR = "bamboohr"
	sourceOkta     = "okta"
	sourceEntra    = "entra"
	sourceGoogle   = "google"
	sourceSlack    = "slack"
	sourceTeams    = "teams"
)

// newDirectory returns the empty directory with its sources ranked and
// named for messages ("no one … in <label>"); the identity system's name
// comes from its connector's declaration.
func newDirectory() *offboard.Directory {
	d := offboard.NewDirectory(sourceBambooHR, sourceOkta, sourceEntra, sourceGoogle, sourceSlack, sourceTeams)
	for source, label := range map[string]string{
		sourceBambooHR: "BambooHR", sourceOkta: oktaconn.Declaration().Label,
		sourceEntra: msconn.Declaration().Label, sourceGoogle: googleconn.Label, sourceSlack: "Slack", sourceTeams: "Teams",
	} {
		d.SetLabel(source, label)
	}
	return d
}

// directoryRefresh is how often the directory is read again. Reporting
// lines change slowly; an hour keeps the Okta cost at one list of users
// (a request per 200 people) an hour.
const directoryRefresh = "@every 1h"

type namedSource struct {
	name string
	src  offboard.DirectorySource
}

// newBambooHRAPI builds the BambooHR API client when its key and
// subdomain are set, else nil.
func newBambooHRAPI(cfg *config.Config, clock offboard.Clock, baseURL string, m offboard.Metrics) (*bamboohr.Client, error) {
	if cfg.HRIS.BambooHR.APIKey == "" || strings.TrimSpace(cfg.HRIS.BambooHR.Subdomain) == "" {
		return nil, nil
	}
	opts := []bamboohr.Option{bamboohr.WithClock(clock), bamboohr.WithLocation(cfg.Location())}
	if baseURL != "" {
		opts = append(opts, bamboohr.WithBaseURL(baseURL))
	}
	if m != nil {
		opts = append(opts, bamboohr.WithTransport(func(rt http.RoundTripper) http.RoundTripper {
			return metered.Transport(rt, "bamboohr", m)
		}))
	}
	api, err := bamboohr.New(cfg.HRIS.BambooHR, opts...)
	if err != nil {
		return nil, fmt.Errorf("hris.bamboohr: %w", err)
	}
	return api, nil
}

// wireDirectory names the directory's sources and reads them again every
// hour; serve reads them once at start. With no source, escalations go
// to escalation.escalate_to, business hours use the company's zone and
// no typed email is checked.
func (a *app) wireDirectory(ids identitySystems, bamboo *bamboohr.Client) error {
	if bamboo != nil {
		a.dirSources = append(a.dirSources, namedSource{sourceBambooHR, bamboo})
	}
	if ids.okta != nil {
		a.dirSources = append(a.dirSources, namedSource{sourceOkta, ids.okta})
	}
	if ids.entra != nil {
		a.dirSources = append(a.dirSources, namedSource{sourceEntra, ids.entra})
	}
	if ids.google != nil {
		a.dirSources = append(a.dirSources, namedSource{sourceGoogle, ids.google})
	}
	if a.slack != nil {
		a.dirSources = append(a.dirSources, namedSource{sourceSlack, a.slack})
	}
	// Teams' roster is the team of the Offboarding channel; without that
	// channel there is no team to read.
	if a.teams != nil && a.cfg.Teams.OffboardingChannelID != "" {
		a.dirSources = append(a.dirSources, namedSource{sourceTeams, a.teams})
	}
	if len(a.dirSources) == 0 {
		return nil
	}
	// Every replica keeps its own copy: intake on a follower needs it too.
	return a.schedule.AddReplicaFunc(directoryRefresh, "directory", a.refreshDirectory)
}

// refreshDirectory reads every source; a source that fails keeps its last
// good list, so one outage does not send escalations to the fallback.
func (a *app) refreshDirectory(ctx context.Context) {
	for _, s := range a.dirSources {
		people, err := s.src.People(ctx)
		if err != nil {
			a.log.Warn("directory: reading people failed; the last list read is kept", "source", s.name, "err", err)
			continue
		}
		a.directory.Set(s.name, people, a.clock.Now())
		managers := 0
		for _, p := range people {
			if p.ManagerEmail != "" {
				managers++
			}
		}
		a.log.Info("directory read", "source", s.name, "people", len(people), "with_manager", managers)
	}
}
