package oktafake

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"time"
)

// proofWindow is how far a DPoP proof's iat may be from the server's clock.
const proofWindow = time.Minute

type jwtHeader struct {
	Alg string          `json:"alg"`
	Typ string          `json:"typ"`
	Kid string          `json:"kid"`
	JWK json.RawMessage `json:"jwk"`
}

// signedJWT is a parsed compact JWS.
type signedJWT struct {
	hdr          jwtHeader
	signingInput string
	sig          []byte
}

// parseJWT splits a compact JWS and decodes its header and claims.
func parseJWT(token string, claims any) (jwtHeader, signedJWT, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return jwtHeader{}, signedJWT{}, false
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	var h jwtHeader
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, claims) != nil {
		return jwtHeader{}, signedJWT{}, false
	}
	return h, signedJWT{hdr: h, signingInput: parts[0] + "." + parts[1], sig: sig}, true
}

// verifyJWS checks an RS256 or ES256 signature with key.
func verifyJWS(key crypto.PublicKey, alg string, t signedJWT) bool {
	digest := sha256.Sum256([]byte(t.signingInput))
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256" && rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], t.sig) == nil
	case *ecdsa.PublicKey:
		if alg != "ES256" || len(t.sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(t.sig[:32]), new(big.Int).SetBytes(t.sig[32:])
		return ecdsa.Verify(k, digest[:], r, s)
	}
	return false
}

// publicJWK is the public part of an RSA or EC P-256 JWK (RFC 7517/7518).
type publicJWK struct {
	Kty string `json:"kty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	D   string `json:"d,omitempty"`
}

func b64int(s string) (*big.Int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

// key returns the public key and its RFC 7638 thumbprint.
func (j publicJWK) key() (crypto.PublicKey, string, bool) {
	var thumbInput string
	var key crypto.PublicKey
	switch j.Kty {
	case "RSA":
		n, ok1 := b64int(j.N)
		e, ok2 := b64int(j.E)
		if !ok1 || !ok2 || !e.IsInt64() {
			return nil, "", false
		}
		key = &rsa.PublicKey{N: n, E: int(e.Int64())}
		thumbInput = `{"e":"` + j.E + `","kty":"RSA","n":"` + j.N + `"}`
	case "EC":
		x, ok1 := b64int(j.X)
		y, ok2 := b64int(j.Y)
		if !ok1 || !ok2 || j.Crv != "P-256" || x.BitLen() > 256 || y.BitLen() > 256 {
			return nil, "", false
		}
		// ecdh rejects points off the curve.
		point := append([]byte{4}, append(x.FillBytes(make([]byte, 32)), y.FillBytes(make([]byte, 32))...)...)
		if _, err := ecdh.P256().NewPublicKey(point); err != nil {
			return nil, "", false
		}
		key = &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
		thumbInput = `{"crv":"P-256","kty":"EC","x":"` + j.X + `","y":"` + j.Y + `"}`
	default:
		return nil, "", false
	}
	sum := sha256.Sum256([]byte(thumbInput))
	return key, base64.RawURLEncoding.EncodeToString(sum[:]), true
}

type proofClaims struct {
	Htm   string `json:"htm"`
	Htu   string `json:"htu"`
	Iat   int64  `json:"iat"`
	Jti   string `json:"jti"`
	Nonce string `json:"nonce"`
	Ath   string `json:"ath"`
}

// proof is a verified DPoP proof.
type proof struct {
	jkt string // thumbprint of the key in its header
	ath string
}

func athOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// nonce returns the current DPoP nonce, making one on first use.
func (s *Server) nonce() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dpopNonce == "" {
		s.dpopNonce = randomHex(12)
	}
	return s.dpopNonce
}

// checkProof verifies a DPoP proof (RFC 9449 §4.3) for a request with
// method and URL htu (any of its spellings: escaped or not). On failure
// code is invalid_dpop_proof or use_dpop_nonce and desc says why.
func (s *Server) checkProof(token, method string, htu ...string) (p proof, code, desc string) {
	const invalid = "invalid_dpop_proof"
	if token == "" {
		return proof{}, invalid, "The DPoP proof JWT header is missing."
	}
	var c proofClaims
	hdr, t, ok := parseJWT(token, &c)
	if !ok {
		return proof{}, invalid, "The DPoP proof is not a JWT."
	}
	if hdr.Typ != "dpop+jwt" {
		return proof{}, invalid, "The DPoP proof typ must be dpop+jwt."
	}
	var jwk publicJWK
	if len(hdr.JWK) == 0 || json.Unmarshal(hdr.JWK, &jwk) != nil {
		return proof{}, invalid, "The DPoP proof has no jwk header."
	}
	if jwk.D != "" {
		return proof{}, invalid, "The DPoP proof jwk contains a private key."
	}
	key, jkt, ok := jwk.key()
	if !ok || !verifyJWS(key, hdr.Alg, t) {
		return proof{}, invalid, "The DPoP proof signature is invalid."
	}
	now := time.Now()
	switch {
	case c.Htm != method:
		return proof{}, invalid, "The DPoP proof htm does not match the request method."
	case !slices.Contains(htu, c.Htu):
		return proof{}, invalid, "The DPoP proof htu does not match the request URL."
	case c.Jti == "":
		return proof{}, invalid, "The DPoP proof has no jti."
	case time.Unix(c.Iat, 0).Before(now.Add(-proofWindow)) || time.Unix(c.Iat, 0).After(now.Add(proofWindow)):
		return proof{}, invalid, "The DPoP proof iat is too far from the current time."
	}
	if c.Nonce == "" || c.Nonce != s.nonce() {
		return proof{}, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proofJTIs == nil {
		s.proofJTIs = map[string]bool{}
	}
	if s.proofJTIs[c.Jti] {
		return proof{}, invalid, "The DPoP proof jti has already been used."
	}
	s.proofJTIs[c.Jti] = true
	return proof{jkt: jkt, ath: c.Ath}, "", ""
}
