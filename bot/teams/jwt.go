package teams

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// A JSON Web Token read with the standard library: Bot Framework signs
// with RS256 only, and a small parser that knows exactly one algorithm
// leaves no room for "alg: none" or key-confusion tricks.

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// audience is "aud", a string or a list of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

type jwtClaims struct {
	Issuer     string   `json:"iss"`
	Audience   audience `json:"aud"`
	Expires    *float64 `json:"exp"`
	NotBefore  *float64 `json:"nbf"`
	ServiceURL string   `json:"serviceurl"`
	TenantID   string   `json:"tid"`
}

type parsedJWT struct {
	header    jwtHeader
	claims    jwtClaims
	signed    string // header.payload, what the signature covers
	signature []byte
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// parseJWT splits and decodes a compact JWT without trusting it.
func parseJWT(raw string) (*parsedJWT, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWT")
	}
	var t parsedJWT
	hb, err := b64(parts[0])
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := json.Unmarshal(hb, &t.header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	pb, err := b64(parts[1])
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	if err := json.Unmarshal(pb, &t.claims); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	if t.signature, err = b64(parts[2]); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	t.signed = parts[0] + "." + parts[1]
	return &t, nil
}

// verify checks an RS256 signature.
func (t *parsedJWT) verify(key *rsa.PublicKey) error {
	sum := sha256.Sum256([]byte(t.signed))
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], t.signature)
}

// jwk is one key of a JSON Web Key Set, with Bot Framework's
// endorsements (the channels the key may sign for).
type jwk struct {
	Kty          string   `json:"kty"`
	Kid          string   `json:"kid"`
	Use          string   `json:"use"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	Endorsements []string `json:"endorsements"`
}

func (k jwk) publicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("key %s: kty %q, want RSA", k.Kid, k.Kty)
	}
	n, err := b64(k.N)
	if err != nil {
		return nil, fmt.Errorf("key %s: n: %w", k.Kid, err)
	}
	e, err := b64(k.E)
	if err != nil {
		return nil, fmt.Errorf("key %s: e: %w", k.Kid, err)
	}
	eb := new(big.Int).SetBytes(e)
	if !eb.IsInt64() || eb.Int64() < 3 || eb.Int64() > 1<<31 {
		return nil, fmt.Errorf("key %s: bad exponent", k.Kid)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(eb.Int64())}
	if pub.N.BitLen() < 2048 {
		return nil, fmt.Errorf("key %s: shorter than 2048 bits", k.Kid)
	}
	return pub, nil
}
