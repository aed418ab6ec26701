package okta_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

func byName(t *testing.T, res []offboard.CheckResult, secrets ...string) map[string]offboard.CheckResult {
	t.Helper()
	out := map[string]offboard.CheckResult{}
	for _, r := range res {
		out[r.Name] = r
		for _, s := range secrets {
			if s != "" && strings.Contains(r.Detail+r.Fix, s) {
				t.Errorf("a secret in %+v", r)
			}
		}
	}
	return out
}

func TestClient_Doctor_OAuthGreen(t *testing.T) {
	e := newOAuthEnv(t, true)
	c, err := e.client(pkcs8PEM(t, e.key), "auto")
	if err != nil {
		t.Fatal(err)
	}
	got := byName(t, c.Doctor(context.Background()))
	for _, name := range []string{"Okta: OAuth token", "Okta: read users", "Okta: read factors and grants"} {
		if got[name].Status != offboard.CheckOK {
			t.Errorf("%s = %+v", name, got[name])
		}
	}
	if !strings.Contains(got["Okta: OAuth token"].Detail, "DPoP-bound") {
		t.Errorf("token detail = %q", got["Okta: OAuth token"].Detail)
	}
	if n := e.srv.Count(http.MethodPost, "/api/v1/") + e.srv.Count(http.MethodDelete, "/api/v1/"); n != 0 {
		t.Errorf("doctor wrote to Okta %d times", n)
	}
}

func TestClient_Doctor_DPoPRequiredButOff(t *testing.T) {
	e := newOAuthEnv(t, true)
	c, err := e.client(pkcs8PEM(t, e.key), "off")
	if err != nil {
		t.Fatal(err)
	}
	r := byName(t, c.Doctor(context.Background()))["Okta: OAuth token"]
	if r.Status != offboard.CheckFail || !strings.Contains(r.Detail, "okta.dpop is off") {
		t.Errorf("token = %+v", r)
	}
}

func TestClient_Doctor_Unauthorized(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.SetToken("another-token")
	got := byName(t, e.c.Doctor(context.Background()), oktatest.Token)
	if got["Okta: credentials"].Status != offboard.CheckWarn {
		t.Errorf("API token mode = %+v", got["Okta: credentials"])
	}
	r := got["Okta: read users"]
	if r.Status != offboard.CheckFail || !strings.Contains(r.Detail, "401") || !strings.Contains(r.Fix, "okta.api_token") {
		t.Errorf("read users = %+v", r)
	}
}

func TestClient_Doctor_FactorsForbidden(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	e.srv.FailNext(http.MethodGet, "/api/v1/users/"+u.ID+"/factors", http.StatusForbidden, "")
	got := byName(t, e.c.Doctor(context.Background()), oktatest.Token)
	if got["Okta: read users"].Status != offboard.CheckOK {
		t.Errorf("read users = %+v", got["Okta: read users"])
	}
	r := got["Okta: read factors"]
	if r.Status != offboard.CheckFail || !strings.Contains(r.Detail, "403") || !strings.Contains(r.Fix, "reset users' authenticators") {
		t.Errorf("read factors = %+v", r)
	}
}
