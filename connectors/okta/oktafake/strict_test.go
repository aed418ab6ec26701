package oktafake_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/okta/oktafake"
)

// es256 signs a compact JWS with an EC P-256 key.
func es256(t *testing.T, k *ecdsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	header["alg"] = "ES256"
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...))
}

func jwkOf(k *ecdsa.PrivateKey) map[string]any {
	pub, _ := k.PublicKey.ECDH()
	b := pub.Bytes()
	enc := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": enc(b[1:33]), "y": enc(b[33:])}
}

var jtiSeq int

func jti() string {
	jtiSeq++
	return "jti-" + strconv.Itoa(jtiSeq) + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
}

type dpopClient struct {
	t        *testing.T
	s        *oktafake.Server
	appKey   *ecdsa.PrivateKey
	dpopKey  *ecdsa.PrivateKey
	clientID string
}

func (c *dpopClient) assertion(claims map[string]any) string {
	base := map[string]any{"iss": c.clientID, "sub": c.clientID, "aud": c.s.URL() + "/oauth2/v1/token",
		"exp": time.Now().Add(time.Minute).Unix(), "jti": jti()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return es256(c.t, c.appKey, map[string]any{}, base)
}

func (c *dpopClient) proof(method, htu, nonce, token string) string {
	claims := map[string]any{"htm": method, "htu": htu, "iat": time.Now().Unix(), "jti": jti()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return es256(c.t, c.dpopKey, map[string]any{"typ": "dpop+jwt", "jwk": jwkOf(c.dpopKey)}, claims)
}

type tokenAnswer struct {
	status int
	header http.Header
	body   map[string]any
}

func (c *dpopClient) token(assertion, proof string) tokenAnswer {
	c.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	req, _ := http.NewRequest("POST", c.s.URL()+"/oauth2/v1/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return tokenAnswer{resp.StatusCode, resp.Header, body}
}

func newDPoPClient(t *testing.T, requireDPoP bool) *dpopClient {
	s := newFake(t)
	ak, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s.AddApp(oktafake.ServiceApp{ClientID: "0oaapp", Key: &ak.PublicKey, Scopes: []string{"okta.users.read"}, RequireDPoP: requireDPoP})
	return &dpopClient{t: t, s: s, appKey: ak, dpopKey: dk, clientID: "0oaapp"}
}

// The token endpoint of an app that requires DPoP: no proof, a proof
// without the nonce, a bad proof and a replayed assertion are refused as
// Okta refuses them; a good one gets a DPoP token.
func TestServer_TokenDPoP(t *testing.T) {
	c := newDPoPClient(t, true)
	tokenURL := c.s.URL() + "/oauth2/v1/token"
	a := c.token(c.assertion(nil), "")
	if a.status != 400 || a.body["error"] != "invalid_dpop_proof" {
		t.Fatalf("no proof: %d %v", a.status, a.body)
	}
	a = c.token(c.assertion(nil), c.proof("POST", tokenURL, "", ""))
	nonce := a.header.Get("DPoP-Nonce")
	if a.status != 400 || a.body["error"] != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("no nonce: %d %v %v", a.status, a.body, a.header)
	}
	for name, p := range map[string]string{
		"wrong htm":          c.proof("GET", tokenURL, nonce, ""),
		"htu with a query":   c.proof("POST", tokenURL+"?x=1", nonce, ""),
		"tampered signature": c.proof("POST", tokenURL, nonce, "")[:40] + "A" + c.proof("POST", tokenURL, nonce, "")[41:],
	} {
		if a := c.token(c.assertion(nil), p); a.status != 400 || a.body["error"] != "invalid_dpop_proof" {
			t.Errorf("%s: %d %v", name, a.status, a.body)
		}
	}
	used := c.assertion(nil)
	proof := c.proof("POST", tokenURL, nonce, "")
	a = c.token(used, proof)
	if a.status != 200 || a.body["token_type"] != "DPoP" {
		t.Fatalf("good proof: %d %v", a.status, a.body)
	}
	tok := a.body["access_token"].(string)
	if a := c.token(c.assertion(nil), proof); a.status != 400 || a.body["error"] != "invalid_dpop_proof" {
		t.Errorf("replayed proof: %d %v", a.status, a.body)
	}
	if a := c.token(used, c.proof("POST", tokenURL, nonce, "")); a.status != 401 || a.body["error"] != "invalid_client" {
		t.Errorf("replayed assertion: %d %v", a.status, a.body)
	}
	for name, claims := range map[string]map[string]any{
		"no jti":        {"jti": nil},
		"expired":       {"exp": time.Now().Add(-time.Minute).Unix()},
		"exp too far":   {"exp": time.Now().Add(3 * time.Hour).Unix()},
		"wrong aud":     {"aud": c.s.URL() + "/oauth2/default/v1/token"},
		"iss not sub":   {"iss": "someone"},
		"unknown app":   {"iss": "0oaother", "sub": "0oaother"},
		"aud elsewhere": {"aud": "https://example.okta.com/oauth2/v1/token"},
	} {
		if a := c.token(c.assertion(claims), c.proof("POST", tokenURL, nonce, "")); a.status != 401 || a.body["error"] != "invalid_client" {
			t.Errorf("assertion %s: %d %v", name, a.status, a.body)
		}
	}

	// API calls with the DPoP-bound token.
	u := c.s.AddUser(oktafake.User{Login: "jane@example.com"})
	api := c.s.URL() + "/api/v1/users/" + u.ID
	call := func(auth, proof string) *http.Response {
		req, _ := http.NewRequest("GET", api+"?expand=x", nil)
		req.Header.Set("Authorization", auth)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := call("Bearer "+tok, ""); r.StatusCode != 401 {
		t.Errorf("DPoP token as Bearer: %d", r.StatusCode)
	}
	if r := call("DPoP "+tok, c.proof("GET", api, nonce, "other-token")); r.StatusCode != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_dpop_proof") {
		t.Errorf("wrong ath: %d %v", r.StatusCode, r.Header)
	}
	if r := call("DPoP "+tok, c.proof("GET", api, nonce, tok)); r.StatusCode != 200 {
		t.Errorf("good DPoP call: %d %v", r.StatusCode, r.Header)
	}
	c.s.RotateDPoPNonce()
	r := call("DPoP "+tok, c.proof("GET", api, nonce, tok))
	if r.StatusCode != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `DPoP error="use_dpop_nonce"`) || r.Header.Get("DPoP-Nonce") == nonce {
		t.Errorf("stale nonce: %d %v", r.StatusCode, r.Header)
	}
	if r := call("DPoP "+tok, c.proof("GET", api, r.Header.Get("DPoP-Nonce"), tok)); r.StatusCode != 200 {
		t.Errorf("new nonce: %d", r.StatusCode)
	}
}

// An app that does not require DPoP gets Bearer tokens without a proof.
func TestServer_TokenBearer(t *testing.T) {
	c := newDPoPClient(t, false)
	a := c.token(c.assertion(nil), "")
	if a.status != 200 || a.body["token_type"] != "Bearer" {
		t.Fatalf("%d %v", a.status, a.body)
	}
}

// GET /factors lists only the highest-priority policy's factors;
// reset_factors removes all.
func TestServer_FactorsPerPolicy(t *testing.T) {
	s := newFake(t)
	u := s.AddUser(oktafake.User{Login: "jane@example.com", Factors: []oktafake.Factor{
		{FactorType: "push"}, {FactorType: "sms", Policy: "legacy"}}})
	var list []map[string]any
	do(t, s, "GET", "/api/v1/users/"+u.ID+"/factors").decode(t, &list)
	if len(list) != 1 || list[0]["factorType"] != "push" {
		t.Fatalf("list %v", list)
	}
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/reset_factors"), 200)
	if got, _ := s.User(u.ID); len(got.Factors) != 0 {
		t.Fatalf("left %v", got.Factors)
	}
}

// Each endpoint family has its own bucket and headers: running out of one
// leaves the others served.
func TestServer_RateLimitBuckets(t *testing.T) {
	s := newFake(t)
	u := s.AddUser(oktafake.User{Login: "jane@example.com"})
	s.BucketLimit(oktafake.BucketGetUser, 2)
	// Windows are per clock minute: keep the requests inside one.
	if time.Now().Second() >= 58 {
		time.Sleep(3 * time.Second)
	}
	r := do(t, s, "GET", "/api/v1/users/"+u.ID)
	if r.header.Get("X-Rate-Limit-Limit") != "2" || r.header.Get("X-Rate-Limit-Remaining") != "1" {
		t.Fatalf("headers %v", r.header)
	}
	r = do(t, s, "GET", "/api/v1/users?limit=1")
	if r.header.Get("X-Rate-Limit-Limit") != "600" || r.header.Get("X-Rate-Limit-Remaining") != "599" {
		t.Fatalf("list bucket headers %v", r.header)
	}
	do(t, s, "GET", "/api/v1/users/"+u.ID)
	r = do(t, s, "GET", "/api/v1/users/"+u.ID)
	if r.status != 429 {
		t.Fatalf("third GET in a bucket of 2: %d", r.status)
	}
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend"), 200)
	if b := oktafake.BucketOf("POST", "/api/v1/users/x/lifecycle/suspend"); b != oktafake.BucketUserWrite {
		t.Errorf("suspend bucket %s", b)
	}
}

// The buckets and limits follow Okta's "Management rate limits" page
// (Workforce Identity): the apps families are their own, 100 a minute
// but 500 for the app itself; the System Log and events likewise.
func TestBucketOf_DocumentedFamilies(t *testing.T) {
	for _, c := range []struct {
		method, path, bucket string
		limit                int
	}{
		{"GET", "/api/v1/apps", oktafake.BucketApps, 100},
		{"POST", "/api/v1/apps", oktafake.BucketApps, 100},
		{"GET", "/api/v1/apps/0oa1/users", oktafake.BucketApps, 100},
		{"GET", "/api/v1/apps/0oa1", oktafake.BucketApp, 500},
		{"GET", "/api/v1/logs", oktafake.BucketLogs, 120},
		{"GET", "/api/v1/events", oktafake.BucketEvents, 100},
		{"GET", "/api/v1/users/00u1", oktafake.BucketGetUser, 2000},
		{"POST", "/api/v1/users/00u1", oktafake.BucketUserWrite, 600},
		{"GET", "/api/v1/users", oktafake.BucketUsers, 600},
		{"GET", "/api/v1/groups", oktafake.BucketGroups, 500},
		{"GET", "/api/v1/groups/00g1", oktafake.BucketGroup, 1000},
		{"GET", "/api/v1/policies", oktafake.BucketOther, 1200},
		{"POST", "/oauth2/v1/token", oktafake.BucketToken, 2000},
	} {
		b := oktafake.BucketOf(c.method, c.path)
		if b != c.bucket || oktafake.DocumentedLimit(b) != c.limit {
			t.Errorf("%s %s: bucket %s limit %d, want %s limit %d", c.method, c.path, b, oktafake.DocumentedLimit(b), c.bucket, c.limit)
		}
	}
}
