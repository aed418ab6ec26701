package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/bot/slack"
	"github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/flows/runner"
	"github.com/offboard-dev/offboard/store"
)

// The product's defaults are config's (config.Default; serve passes every
// value on). Packages keep a fallback for a zero option, for library use
// and tests; where both name a value they must agree, or a library user
// and the product would behave differently.
func TestConfigDefault_packageFallbacks(t *testing.T) {
	c := config.Default()
	durations := []struct {
		key              string
		config, fallback time.Duration
	}{
		{"store.lock_timeout", c.Store.LockTimeout.D(), store.DefaultLockTimeout},
		{"runner.backoff_base", c.Runner.BackoffBase.D(), runner.DefaultBackoffBase},
		{"runner.backoff_max", c.Runner.BackoffMax.D(), runner.DefaultBackoffMax},
		{"cases.max_future", c.Cases.MaxFuture.D(), flows.DefaultMaxFuture},
		{"cases.max_past", c.Cases.MaxPast.D(), flows.DefaultMaxPast},
		{"escalation.remind_after", c.Escalation.RemindAfter.D(), flows.DefaultRemindAfter},
		{"escalation.escalate_after", c.Escalation.EscalateAfter.D(), flows.DefaultEscalateAfter},
		{"okta.deactivate_after", c.Okta.DeactivateAfter.D(), flows.DefaultDeactivateAfter},
		{"devices.write_off_after", c.Devices.WriteOffAfter.D(), flows.DefaultWriteOffAfter},
		{"okta.request_timeout", c.Okta.RequestTimeout.D(), okta.DefaultRequestTimeout},
		{"assistant.timeout", c.Assistant.Timeout.D(), assistant.DefaultModelTimeout},
	}
	for _, d := range durations {
		if d.config != d.fallback {
			t.Errorf("%s: config says %s, the package's fallback %s", d.key, d.config, d.fallback)
		}
	}
	others := []struct {
		key              string
		config, fallback any
	}{
		{"runner.workers", c.Runner.Workers, runner.DefaultWorkers},
		{"escalation.max_level", c.Escalation.MaxLevel, flows.DefaultMaxLevel},
		{"escalation.check", c.Escalation.Check, runner.DefaultTickSpec},
		{"teams.login_url", c.Teams.LoginURL, teams.DefaultLoginURL},
		{"assistant.api_version", c.Assistant.APIVersion, assistant.DefaultAzureAPIVersion},
		{"assistant.max_tool_rounds", c.Assistant.MaxToolRounds, assistant.DefaultMaxToolRounds},
		{"runner.max_attempts", c.Runner.MaxAttempts, flows.DefaultMaxAttempts},
		{"okta.rate_share", c.Okta.RateShare, okta.DefaultRateShare},
		{"okta.max_concurrent", c.Okta.MaxConcurrent, okta.DefaultMaxConcurrent},
		{"slack.channel_name_template", c.Slack.ChannelNameTemplate, slack.DefaultChannelTemplate},
		{"teams.openid_metadata_url", c.Teams.OpenIDMetadataURL, teams.DefaultOpenIDMetadataURL},
		{"company.revocation_time", c.Company.RevocationTime, fmt.Sprintf("%02d:00", flows.DefaultRevocationHour)},
	}
	for _, o := range others {
		if o.config != o.fallback {
			t.Errorf("%s: config says %v, the package's fallback %v", o.key, o.config, o.fallback)
		}
	}
	if !slices.Equal(c.Okta.Scopes, okta.DefaultScopes()) {
		t.Errorf("okta.scopes: config says %v, the connector's fallback %v", c.Okta.Scopes, okta.DefaultScopes())
	}
}
