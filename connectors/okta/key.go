package okta

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// signingKey is the service app's private key, used to sign client
// assertions.
type signingKey struct {
	signer crypto.Signer
	alg    string // RS256 or ES256
	kid    string // the JWK's kid, when the key came as a JWK
}

// minRSABits is the smallest RSA key Okta accepts for private_key_jwt.
const minRSABits = 2048

// parsePrivateKey reads the forms Okta's Admin Console hands out: a
// PKCS#8 PEM ("BEGIN PRIVATE KEY", its default), the private JWK (JSON),
// and the PKCS#1 or SEC 1 PEMs other tools write. RSA keys sign RS256, EC
// P-256 keys ES256. Errors never quote the key.
func parsePrivateKey(text string) (signingKey, error) {
	// A key pasted into an environment variable often has literal \n.
	text = strings.TrimSpace(strings.ReplaceAll(text, `\n`, "\n"))
	if strings.HasPrefix(text, "{") {
		return parseJWK(text)
	}
	block, rest := pem.Decode([]byte(text))
	if block == nil {
		return signingKey{}, errors.New("is neither a PEM private key nor a JWK")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return signingKey{}, errors.New("holds more than one PEM block; give only the private key")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return signingKey{}, errors.New("is encrypted; give the unencrypted key (keep it in a file only offboard can read)")
	default:
		return signingKey{}, fmt.Errorf("is a PEM %q block, not a private key", block.Type)
	}
	if err != nil {
		return signingKey{}, fmt.Errorf("is a PEM %q block that does not parse", block.Type)
	}
	return fromKey(key)
}

func fromKey(key any) (signingKey, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return signingKey{}, fmt.Errorf("is a %d-bit RSA key; Okta needs at least %d bits", k.N.BitLen(), minRSABits)
		}
		return signingKey{signer: k, alg: "RS256"}, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return signingKey{}, fmt.Errorf("is an EC key on %s; offboard signs ES256 and needs P-256", k.Curve.Params().Name)
		}
		return signingKey{signer: k, alg: "ES256"}, nil
	}
	return signingKey{}, fmt.Errorf("is a %T key; use RSA (2048 bits or more) or EC P-256", key)
}

// privateJWK holds the members of an RSA or EC private JWK (RFC 7518 §6).
type privateJWK struct {
	Kty, Kid, Crv, Alg, Use string
	N, E, D, P, Q, X, Y     string
	Dp, Dq, Qi              string
	Keys                    []json.RawMessage // a JWKS with one key
}

func (j *privateJWK) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	j.Kty, j.Kid, j.Crv, j.Alg, j.Use = str("kty"), str("kid"), str("crv"), str("alg"), str("use")
	j.N, j.E, j.D, j.P, j.Q = str("n"), str("e"), str("d"), str("p"), str("q")
	j.X, j.Y, j.Dp, j.Dq, j.Qi = str("x"), str("y"), str("dp"), str("dq"), str("qi")
	if k, ok := m["keys"]; ok {
		return json.Unmarshal(k, &j.Keys)
	}
	return nil
}

func jwkInt(s string) (*big.Int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

func parseJWK(text string) (signingKey, error) {
	var j privateJWK
	if err := json.Unmarshal([]byte(text), &j); err != nil {
		return signingKey{}, errors.New("looks like JSON but is not a JWK")
	}
	if len(j.Keys) == 1 {
		return parseJWK(string(j.Keys[0]))
	} else if len(j.Keys) > 1 {
		return signingKey{}, errors.New("is a JWK set with several keys; give only the private key")
	}
	if j.D == "" {
		return signingKey{}, errors.New("is a public JWK; give the private key (it has a \"d\" member)")
	}
	var sk signingKey
	var err error
	switch j.Kty {
	case "RSA":
		sk, err = rsaFromJWK(j)
	case "EC":
		sk, err = ecFromJWK(j)
	default:
		return signingKey{}, fmt.Errorf("is a JWK of kty %q; use RSA or EC", j.Kty)
	}
	if err != nil {
		return signingKey{}, err
	}
	sk.kid = j.Kid
	return sk, nil
}

func rsaFromJWK(j privateJWK) (signingKey, error) {
	n, ok1 := jwkInt(j.N)
	e, ok2 := jwkInt(j.E)
	d, ok3 := jwkInt(j.D)
	p, ok4 := jwkInt(j.P)
	q, ok5 := jwkInt(j.Q)
	if !ok1 || !ok2 || !ok3 || !e.IsInt64() {
		return signingKey{}, errors.New("is an RSA JWK without valid n, e and d")
	}
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: d}
	if !ok4 || !ok5 {
		return signingKey{}, errors.New("is an RSA JWK without its primes p and q")
	}
	k.Primes = []*big.Int{p, q}
	if err := k.Validate(); err != nil {
		return signingKey{}, errors.New("is an RSA JWK whose members do not form a key")
	}
	k.Precompute()
	return fromKey(k)
}

func ecFromJWK(j privateJWK) (signingKey, error) {
	if j.Crv != "P-256" {
		return signingKey{}, fmt.Errorf("is an EC JWK on %q; offboard signs ES256 and needs P-256", j.Crv)
	}
	d, ok := jwkInt(j.D)
	if !ok || d.BitLen() > 256 {
		return signingKey{}, errors.New("is an EC JWK without a valid d")
	}
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
	if err != nil {
		return signingKey{}, errors.New("is an EC JWK whose d is not a P-256 key")
	}
	return fromKey(k)
}

// jwkSecrets returns the private members of a JWK key text, so each is
// redacted even when quoted alone; nil for a PEM.
func jwkSecrets(text string) []string {
	var j privateJWK
	if !strings.HasPrefix(strings.TrimSpace(text), "{") || json.Unmarshal([]byte(text), &j) != nil {
		return nil
	}
	if len(j.Keys) == 1 {
		return jwkSecrets(string(j.Keys[0]))
	}
	var out []string
	for _, v := range []string{j.D, j.P, j.Q, j.Dp, j.Dq, j.Qi} {
		if len(v) >= 16 {
			out = append(out, v)
		}
	}
	return out
}
