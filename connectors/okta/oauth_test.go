package okta_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

func pkcs8PEM(t *testing.T, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func b64(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }

// rsaJWK is the private JWK the Admin Console offers next to the PEM.
func rsaJWK(k *rsa.PrivateKey, kid string) string {
	k.Precompute()
	b, _ := json.Marshal(map[string]string{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
		"n": b64(k.N), "e": b64(big.NewInt(int64(k.E))), "d": b64(k.D),
		"p": b64(k.Primes[0]), "q": b64(k.Primes[1]),
		"dp": b64(k.Precomputed.Dp), "dq": b64(k.Precomputed.Dq), "qi": b64(k.Precomputed.Qinv),
	})
	return string(b)
}

// oauthEnv is a fake org with one service app and a user, and a way to
// build a connector in OAuth mode with a given key text and DPoP setting.
type oauthEnv struct {
	t   *testing.T
	srv *oktatest.Server
	key *rsa.PrivateKey
	u   *oktatest.User
}

func newOAuthEnv(t *testing.T, requireDPoP bool) *oauthEnv {
	t.Helper()
	isolate(t)
	srv := oktatest.New(t)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddApp(oktatest.ServiceApp{ClientID: "0oaservice", Key: &k.PublicKey, Scopes: okta.DefaultScopes(), RequireDPoP: requireDPoP})
	u := srv.AddUser(oktatest.User{Login: "jane@example.com", Email: "jane@example.com",
		Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"okta.users.read"}, Sessions: 1})
	return &oauthEnv{t: t, srv: srv, key: k, u: u}
}

func (e *oauthEnv) client(keyText, dpop string) (*okta.Client, error) {
	return okta.New(context.Background(), okta.Options{Config: config.Okta{
		OrgURL: e.srv.URL(), ClientID: "0oaservice", PrivateKey: config.Secret(keyText), PrivateKeyID: "kid1",
		Scopes: okta.DefaultScopes(), DPoP: dpop, InsecureHTTPForTests: true, RateShare: 1,
		RequestTimeout: offboard.Duration(5 * time.Second),
	}})
}

func (e *oauthEnv) registry(keyText, dpop string) *connectors.Registry {
	e.t.Helper()
	c, err := e.client(keyText, dpop)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	reg := connectors.NewRegistry()
	if err := c.Register(reg); err != nil {
		e.t.Fatal(err)
	}
	return reg
}

func run(t *testing.T, reg *connectors.Registry, action string) (connectors.Result, error) {
	t.Helper()
	a, ok := reg.Lookup(action)
	if !ok {
		t.Fatalf("no action %s", action)
	}
	return a.Run(context.Background(), jane("jane@example.com"))
}

// The Admin Console's "Generate new key" gives a PKCS#8 PEM or a private
// JWK; both, and a PKCS#1 PEM, must work end to end through the SDK.
func TestClient_PrivateKeyFormats(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		text func(e *oauthEnv) string
	}{
		{"pkcs8", func(e *oauthEnv) string { return pkcs8PEM(t, e.key) }},
		{"pkcs1", func(e *oauthEnv) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(e.key)}))
		}},
		{"jwk", func(e *oauthEnv) string { return rsaJWK(e.key, "kid1") }},
		{"pkcs8-ec", func(e *oauthEnv) string {
			e.srv.AddApp(oktatest.ServiceApp{ClientID: "0oaservice", Key: &ec.PublicKey, Scopes: okta.DefaultScopes()})
			return pkcs8PEM(t, ec)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOAuthEnv(t, false)
			reg := e.registry(tc.text(e), "")
			res, err := run(t, reg, "okta.suspend")
			if err != nil || !res.Verified {
				t.Fatalf("suspend with a %s key: %+v %v", tc.name, res, err)
			}
			if got, _ := e.srv.User(e.u.ID); got.Status != "SUSPENDED" {
				t.Fatalf("status %s", got.Status)
			}
		})
	}
}

// A key in no accepted form is refused when the connector is built, with
// a message naming the config key, instead of failing every action.
func TestNew_BadPrivateKey(t *testing.T) {
	e := newOAuthEnv(t, false)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, text := range map[string]string{
		"garbage":     "not a key",
		"public key":  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&e.key.PublicKey)})),
		"broken pem":  "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"public jwk":  `{"kty":"RSA","n":"` + b64(e.key.N) + `","e":"AQAB"}`,
		"P-384 pkcs8": pkcs8PEM(t, ec384),
	} {
		_, err := e.client(text, "")
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "okta.private_key") {
			t.Errorf("%s: err = %v, want EINVALID naming okta.private_key", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: error quotes the key: %v", name, err)
		}
	}
	_, err := okta.New(context.Background(), okta.Options{Config: config.Okta{
		OrgURL: e.srv.URL(), ClientID: "0oaservice", PrivateKey: "nope", PrivateKeyFile: "secrets/okta.pem",
		InsecureHTTPForTests: true,
	}})
	if err == nil || !strings.Contains(err.Error(), "okta.private_key_file") {
		t.Errorf("key from a file: %v, want the message to name okta.private_key_file", err)
	}
	if _, err := e.client(pkcs8PEM(t, e.key), "sometimes"); offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "okta.dpop") {
		t.Errorf("dpop sometimes: %v", err)
	}
}

// An app that requires DPoP (the default for new API Services apps) works
// with dpop auto and on; off fails at once with a permanent error saying
// what to change.
func TestClient_DPoPRequired(t *testing.T) {
	for _, mode := range []string{"", "auto", "on"} {
		t.Run("mode="+mode, func(t *testing.T) {
			e := newOAuthEnv(t, true)
			reg := e.registry(pkcs8PEM(t, e.key), mode)
			for _, action := range []string{"okta.suspend", "okta.clear_sessions", "okta.reset_factors", "okta.revoke_grants"} {
				if res, err := run(t, reg, action); err != nil || !res.Verified {
					t.Fatalf("%s: %+v %v", action, res, err)
				}
			}
			if n := e.srv.TokensIssued(); n != 1 {
				t.Errorf("tokens issued %d, want 1 (cached)", n)
			}
		})
	}
	e := newOAuthEnv(t, true)
	reg := e.registry(pkcs8PEM(t, e.key), "off")
	_, err := run(t, reg, "okta.suspend")
	if err == nil || connectors.Retryable(err) || !strings.Contains(err.Error(), "okta.dpop") {
		t.Errorf("dpop off against an app requiring DPoP: %v (retryable %v)", err, connectors.Retryable(err))
	}
}

// An app that does not require DPoP works with auto: Bearer tokens, no
// proofs.
func TestClient_DPoPNotRequired(t *testing.T) {
	e := newOAuthEnv(t, false)
	reg := e.registry(pkcs8PEM(t, e.key), "auto")
	for _, action := range []string{"okta.suspend", "okta.reset_factors"} {
		if res, err := run(t, reg, action); err != nil || !res.Verified {
			t.Fatalf("%s: %+v %v", action, res, err)
		}
	}
	if n := e.srv.TokensIssued(); n != 1 {
		t.Errorf("tokens issued %d, want 1", n)
	}
}

// Okta rotates its DPoP nonce; the next API call is answered 401
// use_dpop_nonce with the new one, and the connector retries with it. An
// expired token is replaced.
func TestClient_DPoPNonceRotation(t *testing.T) {
	e := newOAuthEnv(t, true)
	reg := e.registry(pkcs8PEM(t, e.key), "auto")
	if _, err := run(t, reg, "okta.suspend"); err != nil {
		t.Fatal(err)
	}
	e.srv.RotateDPoPNonce()
	before := len(e.srv.Requests())
	if res, err := run(t, reg, "okta.reset_factors"); err != nil || !res.Verified {
		t.Fatalf("after a nonce rotation: %+v %v", res, err)
	}
	nonceRetries := 0
	for _, r := range e.srv.Requests()[before:] {
		if r.Status == http.StatusUnauthorized {
			nonceRetries++
		}
	}
	if nonceRetries != 1 {
		t.Errorf("%d requests answered 401, want exactly the one after the rotation", nonceRetries)
	}
	e.srv.ExpireTokens()
	e.srv.RotateDPoPNonce()
	if res, err := run(t, reg, "okta.revoke_grants"); err != nil || !res.Verified {
		t.Fatalf("after the token expired: %+v %v", res, err)
	}
	if n := e.srv.TokensIssued(); n != 2 {
		t.Errorf("tokens issued %d, want 2", n)
	}
}

// The client assertion has a jti and a short life, so one seen on the
// wire cannot be replayed to get another token.
func TestClient_ClientAssertion(t *testing.T) {
	e := newOAuthEnv(t, false)
	reg := e.registry(pkcs8PEM(t, e.key), "")
	if _, err := run(t, reg, "okta.suspend"); err != nil {
		t.Fatal(err)
	}
	as := e.srv.Assertions()
	if len(as) != 1 {
		t.Fatalf("%d assertions accepted", len(as))
	}
	parts := strings.Split(as[0], ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Jti      string `json:"jti"`
		Iat, Exp int64
		Aud      string `json:"aud"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Jti == "" || claims.Exp-time.Now().Unix() > 300 || claims.Aud != e.srv.URL()+"/oauth2/v1/token" {
		t.Errorf("assertion claims %+v: want a jti, exp within 5 minutes, aud the token endpoint", claims)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {as[0]}}
	resp, err := http.PostForm(e.srv.URL()+"/oauth2/v1/token", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed assertion answered %d, want 401", resp.StatusCode)
	}
}

// Credentials Okta refuses are a configuration error: permanent, so the
// runner fails the task at once and tells people instead of retrying.
func TestClient_ConfigErrorPermanent(t *testing.T) {
	e := newOAuthEnv(t, false)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	reg := e.registry(pkcs8PEM(t, other), "")
	_, err := run(t, reg, "okta.suspend")
	if err == nil || connectors.Retryable(err) || offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Errorf("unknown key: %v (retryable %v), want permanent EFORBIDDEN", err, connectors.Retryable(err))
	}
	if err != nil && strings.Contains(err.Error(), "eyJ") {
		t.Errorf("error quotes a JWT: %v", err)
	}
}

// ListFactors shows only the factors of the highest-priority enrollment
// policy: an empty list does not mean nothing is enrolled.
func TestClient_ResetFactorsHiddenPolicy(t *testing.T) {
	e := newEnv(t, nil)
	u := e.srv.AddUser(oktatest.User{Login: "jane@example.com", Email: "jane@example.com",
		Factors: []oktatest.Factor{{FactorType: "push", Policy: "contractors"}, {FactorType: "sms", Policy: "legacy"}}})
	res, err := e.run("okta.reset_factors", jane("jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Count("POST", "/api/v1/users/"+u.ID+"/lifecycle/reset_factors"); n != 1 {
		t.Errorf("reset_factors called %d times, want 1", n)
	}
	if got, _ := e.srv.User(u.ID); len(got.Factors) != 0 {
		t.Errorf("factors left: %+v", got.Factors)
	}
	if res.AlreadyDone {
		t.Errorf("reported already done: %+v", res)
	}
}

// A proxy that quotes the request in its error (Authorization included)
// must not get the access token into the error, the audit trail or logs.
func TestClient_EchoedAccessTokenRedacted(t *testing.T) {
	for _, requireDPoP := range []bool{false, true} {
		e := newOAuthEnv(t, requireDPoP)
		reg := e.registry(pkcs8PEM(t, e.key), "auto")
		if _, err := run(t, reg, "okta.app_report"); err != nil {
			t.Fatal(err)
		}
		e.srv.EchoNext("POST", "/api/v1/users/"+e.u.ID+"/lifecycle/suspend", http.StatusBadRequest)
		_, err := run(t, reg, "okta.suspend")
		if err == nil || !strings.Contains(err.Error(), "Request rejected") {
			t.Fatalf("echo not provoked: %v", err)
		}
		if strings.Contains(err.Error(), "fake-access-") {
			t.Errorf("DPoP %v: the access token is in the error: %v", requireDPoP, err)
		}
	}
}
