// Package teamstest is a fake Bot Framework world for tests, as real HTTP
// servers: an OpenID issuer with a JWKS of test RSA keys (with
// endorsements) that signs real JWTs, a tenant token endpoint, and a Bot
// Connector service that records the conversations and activities a bot
// creates, sends and updates.
package teamstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Issuer is Bot Framework's OpenID side: metadata, a key set and the
// keys to sign channel tokens with.
type Issuer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	keys     map[string]*rsa.PrivateKey
	endorse  map[string][]string
	jwksHits atomic.Int64
}

// testKeys are generated once per test binary: RSA key generation is
// slow under the race detector.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	out := make([]*rsa.PrivateKey, 2)
	for i := range out {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		out[i] = k
	}
	return out
})

// Key ids the issuer publishes: KeyTeams is endorsed for msteams,
// KeyOther only for another channel.
const (
	KeyTeams = "teams-key-1"
	KeyOther = "webchat-key-1"
)

// NewIssuer starts the issuer; t's cleanup stops it.
func NewIssuer(t testing.TB) *Issuer {
	k := testKeys()
	is := &Issuer{keys: map[string]*rsa.PrivateKey{KeyTeams: k[0], KeyOther: k[1]},
		endorse: map[string][]string{KeyTeams: {"msteams"}, KeyOther: {"webchat"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openidconfiguration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": "https://api.botframework.com", "jwks_uri": is.srv.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		var keys []map[string]any
		for kid, k := range is.keys {
			keys = append(keys, map[string]any{"kty": "RSA", "use": "sig", "kid": kid,
				"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes()), "endorsements": is.endorse[kid]})
		}
		writeJSON(w, map[string]any{"keys": keys})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// MetadataURL is the OpenID metadata address (teams.openid_metadata_url).
func (is *Issuer) MetadataURL() string { return is.srv.URL + "/.well-known/openidconfiguration" }

// JWKSFetches counts how often the key set was read.
func (is *Issuer) JWKSFetches() int { return int(is.jwksHits.Load()) }

// Claims are the usual claims of a channel token for appID and a
// service URL, valid from a minute ago for an hour.
func Claims(appID, serviceURL string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": "https://api.botframework.com", "aud": appID, "serviceurl": serviceURL,
		"nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
}

// Sign makes an RS256 token with the key kid (which need not be one the
// issuer publishes; an unknown kid is signed with the msteams key).
func (is *Issuer) Sign(kid string, claims map[string]any) string {
	is.mu.Lock()
	k := is.keys[kid]
	is.mu.Unlock()
	if k == nil {
		k = testKeys()[0]
	}
	return SignRaw(map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}, claims, k)
}

// SignRaw makes a token with any header; with alg RS256 it signs with k,
// otherwise the signature is empty (alg none) or a fake HMAC.
func SignRaw(header, claims map[string]any, k *rsa.PrivateKey) string {
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	signed := b64(hb) + "." + b64(cb)
	switch header["alg"] {
	case "RS256":
		sum := sha256.Sum256([]byte(signed))
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		if err != nil {
			panic(err)
		}
		return signed + "." + b64(sig)
	case "none":
		return signed + "."
	default:
		sum := sha256.Sum256([]byte("secret" + signed))
		return signed + "." + b64(sum[:])
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
