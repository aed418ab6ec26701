package config_test

import (
	"fmt"
	"strings"
	"testing"
)

// console.oidc.client_secret can come from a file like every secret, and
// the redirect URL defaults to the public URL's callback.
func TestOIDC_ClientSecretFile(t *testing.T) {
	dir := t.TempDir()
	secret := writeSecret(t, dir, "oidc", "oidc-client-secret\n", 0o600)
	c := parse(t, fmt.Sprintf(`
http:
  public_url: https://offboard.example.com/
console:
  enabled: true
  oidc:
    issuer: https://example.okta.com/oauth2/default
    client_id: 0oa123
    client_secret_file: %q
`, secret), noEnv)
	if got := c.Console.OIDC.ClientSecret.Reveal(); got != "oidc-client-secret" {
		t.Fatalf("client secret = %q", got)
	}
	if got := c.OIDCRedirectURL(); got != "https://offboard.example.com/signin/callback" {
		t.Fatalf("redirect URL = %q", got)
	}
	if s := fmt.Sprintf("%v %+v", c.Console.OIDC, c.Console); strings.Contains(s, "oidc-client-secret") {
		t.Fatalf("the secret prints: %s", s)
	}
	world := writeSecret(t, dir, "world", "x", 0o644)
	ve := parseErr(t, fmt.Sprintf("console:\n  oidc:\n    issuer: https://idp.example.com\n    client_id: a\n    redirect_url: https://o.example.com/cb\n    client_secret_file: %q\n", world), noEnv)
	if !strings.Contains(ve.Error(), "console.oidc.client_secret_file: secret file "+world+" is readable by every user") {
		t.Fatalf("a world-readable secret file: %v", ve)
	}
}
