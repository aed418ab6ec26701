package graphfake

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// TokenURL is the fake tenant's token endpoint, the audience an
// assertion must name.
func (s *Server) TokenURL() string { return s.URL + "/" + TenantID + "/oauth2/v2.0/token" }

// tokenError answers as the identity platform does (AADSTS codes).
func tokenError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": code, "error_description": desc,
		"error_codes": []int{}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z")})
}

// token serves POST /{tenant}/oauth2/v2.0/token, client credentials only.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain the parameter: 'grant_type'.")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "client_credentials":
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
		return
	case f.Get("scope") != "https://graph.microsoft.com/.default":
		tokenError(w, http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
		return
	case f.Get("client_id") != ClientID:
		tokenError(w, http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application with identifier was not found in the directory.")
		return
	}
	if secret := f.Get("client_secret"); secret != "" {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
			tokenError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
			return
		}
	} else if f.Get("client_assertion_type") == assertionType {
		if desc := s.verifyAssertion(f.Get("client_assertion")); desc != "" {
			tokenError(w, http.StatusUnauthorized, "invalid_client", desc)
			return
		}
	} else {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	tok := "fake-graph-token-" + newID()
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(time.Hour)
	s.tokenIssued++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

// verifyAssertion checks a client assertion as the identity platform
// documents it; "" is valid, else the AADSTS description.
func (s *Server) verifyAssertion(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "AADSTS50027: JWT token is invalid or malformed."
	}
	var header struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Jti string `json:"jti"`
		Nbf int64  `json:"nbf"`
		Exp int64  `json:"exp"`
	}
	if decodePart(parts[0], &header) != nil || decodePart(parts[1], &claims) != nil {
		return "AADSTS50027: JWT token is invalid or malformed."
	}
	sha1Sum, sha256Sum := sha1.Sum(s.cert.Raw), sha256.Sum256(s.cert.Raw)
	switch {
	case header.Alg != "RS256" && header.Alg != "PS256":
		return "AADSTS5002730: Invalid JWT token. Unsupported key for the signing algorithm."
	case header.X5t != base64.RawURLEncoding.EncodeToString(sha1Sum[:]) &&
		header.X5tS256 != base64.RawURLEncoding.EncodeToString(sha256Sum[:]):
		return "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "AADSTS50027: JWT token is invalid or malformed."
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	pub := s.cert.PublicKey.(*rsa.PublicKey)
	if header.Alg == "PS256" {
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, nil)
	} else {
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	}
	if err != nil {
		return "AADSTS700027: Client assertion failed signature validation."
	}
	now := s.now().Unix()
	switch {
	case claims.Aud != s.TokenURL():
		return "AADSTS700212: No matching federated identity record found for presented assertion audience."
	case claims.Iss != ClientID || claims.Sub != ClientID:
		return "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter."
	case claims.Exp <= now:
		return "AADSTS700024: Client assertion is not within its valid time range."
	case claims.Nbf > now+300:
		return "AADSTS700024: Client assertion is not within its valid time range."
	case claims.Jti == "":
		return "AADSTS50027: JWT token is invalid or malformed."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jtis[claims.Jti] {
		return "AADSTS700025: Client assertion has been used before (jti replayed)."
	}
	s.jtis[claims.Jti] = true
	return ""
}

func decodePart(p string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
