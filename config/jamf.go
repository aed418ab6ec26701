package config

import (
	"net/url"
	"strings"

	"github.com/offboard-dev/offboard"
)

// Jamf configures Jamf Pro through its Jamf Pro API, as an API client
// (client credentials) whose API role holds the privileges the README
// lists. It is enabled when URL is set.
type Jamf struct {
	// URL is the Jamf Pro server ("https://example.jamfcloud.com").
	URL              string            `yaml:"url" json:"url"`
	ClientID         string            `yaml:"client_id" json:"client_id"`
	ClientSecret     Secret            `yaml:"client_secret" json:"client_secret"`
	ClientSecretFile string            `yaml:"client_secret_file" json:"client_secret_file,omitempty"`
	RequestTimeout   offboard.Duration `yaml:"request_timeout" json:"request_timeout"`
}

// JamfEnabled reports whether jamf.url is set.
func (c *Config) JamfEnabled() bool { return c.Jamf.URL != "" }

func (c *Config) validateJamf(v *validator) {
	j := c.Jamf
	hasSecret := j.ClientSecret != "" || j.ClientSecretFile != ""
	if !c.JamfEnabled() {
		if j.ClientID != "" || hasSecret {
			v.add("jamf.url", "required when other jamf keys are set")
		}
		return
	}
	if checkURL(v, "jamf.url", j.URL, true) {
		if u, err := url.Parse(j.URL); err == nil && (u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "") {
			v.add("jamf.url", "want the Jamf Pro server's address only, such as https://example.jamfcloud.com, got %q", j.URL)
		}
	}
	if strings.TrimSpace(j.ClientID) == "" {
		v.add("jamf.client_id", "required when jamf.url is set (the API client's client id)")
	}
	if !hasSecret {
		v.add("jamf.client_secret", "required when jamf.url is set (or jamf.client_secret_file)")
	}
	positive(v, "jamf.request_timeout", j.RequestTimeout)
}
