package config

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// CallbackPath is where the identity provider sends people back to when
// console.oidc.redirect_url is not set (it is appended to
// http.public_url).
const CallbackPath = "/signin/callback"

// OIDC configures how people sign in to the console and the dashboard
// outside demo mode: OpenID Connect with Okta, Entra ID or any provider
// that publishes a discovery document. Enabled when Issuer is set.
type OIDC struct {
	// Issuer is the provider's issuer URL, e.g.
	// https://example.okta.com/oauth2/default or
	// https://login.microsoftonline.com/{tenant}/v2.0.
	Issuer           string `yaml:"issuer" json:"issuer"`
	ClientID         string `yaml:"client_id" json:"client_id"`
	ClientSecret     Secret `yaml:"client_secret" json:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file" json:"client_secret_file,omitempty"`
	// RedirectURL defaults to http.public_url + CallbackPath.
	RedirectURL string   `yaml:"redirect_url" json:"redirect_url"`
	Scopes      []string `yaml:"scopes" json:"scopes"`
	// EmailClaim is the ID token claim holding the person's email.
	EmailClaim string            `yaml:"email_claim" json:"email_claim"`
	SessionTTL offboard.Duration `yaml:"session_ttl" json:"session_ttl"`
}

func defaultOIDC() OIDC {
	return OIDC{Scopes: []string{"openid", "email", "profile"}, EmailClaim: "email", SessionTTL: dur(8 * time.Hour)}
}

// OIDCEnabled reports whether people sign in with OpenID Connect.
func (c *Config) OIDCEnabled() bool { return c.Console.OIDC.Issuer != "" }

// OIDCRedirectURL is the callback URL to register with the provider.
func (c *Config) OIDCRedirectURL() string {
	if c.Console.OIDC.RedirectURL != "" {
		return c.Console.OIDC.RedirectURL
	}
	if c.HTTP.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(c.HTTP.PublicURL, "/") + CallbackPath
}

// resolveOIDCSecret reads console.oidc.client_secret_file as the other
// *_file secrets are read.
func (c *Config) resolveOIDCSecret(baseDir string, v *validator) {
	o := &c.Console.OIDC
	if o.ClientSecretFile == "" {
		return
	}
	if o.ClientSecret != "" {
		v.add("console.oidc.client_secret", "set either console.oidc.client_secret or console.oidc.client_secret_file, not both")
		return
	}
	name := o.ClientSecretFile
	if !filepath.IsAbs(name) {
		name = filepath.Join(baseDir, name)
	}
	s, err := readSecretFile(name)
	if err != nil {
		v.add("console.oidc.client_secret_file", "%v", err)
		return
	}
	o.ClientSecret = Secret(s)
}

func (c *Config) validateOIDC(v *validator) {
	o := c.Console.OIDC
	if o.Issuer == "" {
		if o.ClientID != "" || o.ClientSecret != "" || o.RedirectURL != "" {
			v.add("console.oidc.issuer", "required when other console.oidc keys are set")
		}
		return
	}
	checkURL(v, "console.oidc.issuer", o.Issuer, true)
	if strings.TrimSpace(o.ClientID) == "" {
		v.add("console.oidc.client_id", "required when console.oidc.issuer is set")
	}
	if o.ClientSecret == "" && o.ClientSecretFile == "" {
		v.add("console.oidc.client_secret", "required when console.oidc.issuer is set (or client_secret_file)")
	}
	switch {
	case o.RedirectURL != "":
		checkURL(v, "console.oidc.redirect_url", o.RedirectURL, true)
	case c.HTTP.PublicURL == "":
		v.add("console.oidc.redirect_url", "required when http.public_url is not set (the provider sends people back there; default: http.public_url + %s)", CallbackPath)
	}
	if !slices.Contains(o.Scopes, "openid") {
		v.add("console.oidc.scopes", "must include openid, got %v", o.Scopes)
	}
	if strings.TrimSpace(o.EmailClaim) == "" {
		v.add("console.oidc.email_claim", "required (usually email)")
	}
	if o.SessionTTL.D() < 5*time.Minute || o.SessionTTL.D() > 30*24*time.Hour {
		v.add("console.oidc.session_ttl", "want from 5m to 720h, got %s", o.SessionTTL)
	}
}
