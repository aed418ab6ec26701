package graphtest_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// assertion builds a client assertion with the fake's certificate
// thumbprint, signed by key, with claims changed by mod.
func assertion(t *testing.T, s *graphtest.Server, key *rsa.PrivateKey, mod func(map[string]any)) string {
	t.Helper()
	block, _ := pem.Decode(s.CertificatePEM)
	sum := sha1.Sum(block.Bytes)
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "x5t": base64.RawURLEncoding.EncodeToString(sum[:])})
	now := time.Now().Unix()
	claims := map[string]any{"aud": s.TokenURL(), "iss": graphtest.ClientID, "sub": graphtest.ClientID,
		"jti": time.Now().String(), "nbf": now, "exp": now + 300}
	if mod != nil {
		mod(claims)
	}
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func postToken(t *testing.T, s *graphtest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.TokenURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestServer_TokenAssertion(t *testing.T) {
	s := graphtest.New(t)
	block, _ := pem.Decode(s.KeyPEM)
	key, _ := x509.ParsePKCS1PrivateKey(block.Bytes)
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	form := func(jwt string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {graphtest.ClientID},
			"scope": {"https://graph.microsoft.com/.default"}, "client_assertion": {jwt},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
	}
	if code, body := postToken(t, s, form(assertion(t, s, key, nil))); code != 200 || body["access_token"] == nil {
		t.Fatalf("a good assertion: %d %v", code, body)
	}
	for name, tc := range map[string]struct {
		key  *rsa.PrivateKey
		mod  func(map[string]any)
		want string
	}{
		"bad signature":  {stranger, nil, "AADSTS700027"},
		"wrong audience": {key, func(c map[string]any) { c["aud"] = "https://login.microsoftonline.com/other/oauth2/v2.0/token" }, "AADSTS700212"},
		"expired":        {key, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, "AADSTS700024"},
		"wrong issuer":   {key, func(c map[string]any) { c["iss"] = "someone" }, "AADSTS700021"},
	} {
		code, body := postToken(t, s, form(assertion(t, s, tc.key, tc.mod)))
		if code != http.StatusUnauthorized || body["error"] != "invalid_client" || !strings.HasPrefix(body["error_description"].(string), tc.want) {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	// A replayed assertion is refused.
	jwt := assertion(t, s, key, func(c map[string]any) { c["jti"] = "same" })
	postToken(t, s, form(jwt))
	if code, _ := postToken(t, s, form(jwt)); code != http.StatusUnauthorized {
		t.Errorf("replay: %d", code)
	}
}

func TestServer_GraphRequiresToken(t *testing.T) {
	s := graphtest.New(t)
	id := s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com"})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1.0/users/"+id, nil)
	req.Header.Set("Authorization", "Bearer made-up")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusUnauthorized || body.Error.Code != "InvalidAuthenticationToken" {
		t.Fatalf("%d %+v", resp.StatusCode, body)
	}
}

// secretToken gets an access token with the client secret.
func secretToken(t *testing.T, s *graphtest.Server) string {
	t.Helper()
	code, body := postToken(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {graphtest.ClientID},
		"client_secret": {graphtest.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	tok, _ := body["access_token"].(string)
	if code != 200 || tok == "" {
		t.Fatalf("token: %d %v", code, body)
	}
	return tok
}

func postBatch(t *testing.T, s *graphtest.Server, tok string, requests []map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"requests": requests})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1.0/$batch", strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestServer_Batch(t *testing.T) {
	s := graphtest.New(t)
	id := s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", AccountEnabled: true})
	tok := secretToken(t, s)
	get := func(n int) []map[string]any {
		var out []map[string]any
		for i := range n {
			out = append(out, map[string]any{"id": strconv.Itoa(i + 1), "method": "GET", "url": "/users/" + id})
		}
		return out
	}
	if code, body := postBatch(t, s, tok, get(21)); code != http.StatusBadRequest {
		t.Fatalf("21 requests: %d %v", code, body)
	}
	if code, _ := postBatch(t, s, "made-up", get(1)); code != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", code)
	}
	if code, _ := postBatch(t, s, tok, append(get(1), get(1)...)); code != http.StatusBadRequest {
		t.Fatalf("duplicate ids: %d", code)
	}
	reqs := get(1)
	reqs = append(reqs,
		map[string]any{"id": "b", "method": "PATCH", "url": "users/" + id, "body": map[string]any{"accountEnabled": false}},
		map[string]any{"id": "c", "method": "GET", "url": "/users/nobody@example.com"})
	s.SetPermissions("User.Read.All")
	code, body := postBatch(t, s, tok, reqs)
	if code != http.StatusOK {
		t.Fatalf("batch: %d %v", code, body)
	}
	status := map[string]float64{}
	for _, r := range body["responses"].([]any) {
		m := r.(map[string]any)
		status[m["id"].(string)] = m["status"].(float64)
	}
	// A body without Content-Type is refused; a missing user is 404;
	// each request is checked on its own.
	if status["1"] != 200 || status["b"] != 400 || status["c"] != 404 {
		t.Fatalf("statuses %v", status)
	}
	reqs[1]["headers"] = map[string]string{"Content-Type": "application/json"}
	_, body = postBatch(t, s, tok, reqs[1:2])
	if st := body["responses"].([]any)[0].(map[string]any)["status"].(float64); st != 403 {
		t.Fatalf("PATCH without User.EnableDisableAccount.All: %v", st)
	}
	s.SetPermissions(graphtest.LeastPrivilege...)
	s.ThrottleBatched(1, 5*time.Second)
	code, body = postBatch(t, s, tok, reqs[1:2])
	item := body["responses"].([]any)[0].(map[string]any)
	if code != 200 || item["status"].(float64) != 429 || item["headers"].(map[string]any)["Retry-After"] != "5" {
		t.Fatalf("throttled item: %d %v", code, item)
	}
	if u, _ := s.User(id); !u.AccountEnabled {
		t.Fatal("a throttled request changed the user")
	}
	postBatch(t, s, tok, reqs[1:2])
	if u, _ := s.User(id); u.AccountEnabled {
		t.Fatal("the batched PATCH did not disable the user")
	}
}
