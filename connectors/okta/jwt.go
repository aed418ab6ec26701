package okta

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// signJWT builds a compact JWS over header and claims with k (RS256 or
// ES256). The header's alg is set here.
func signJWT(k signingKey, header, claims map[string]any) (string, error) {
	header["alg"] = k.alg
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch key := k.signer.(type) {
	case *ecdsa.PrivateKey:
		// JWS wants r||s, each 32 bytes, not ASN.1.
		r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	default:
		sig, err = k.signer.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// newJTI returns a random JWT id.
func newJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// publicJWK is the public JWK of an EC P-256 key, as a DPoP proof's
// header carries it.
func publicJWK(k *ecdsa.PrivateKey) (map[string]any, error) {
	pub, err := k.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	b := pub.Bytes() // 0x04 || X || Y
	if len(b) != 65 {
		return nil, fmt.Errorf("unexpected P-256 public key length %d", len(b))
	}
	enc := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": enc(b[1:33]), "y": enc(b[33:])}, nil
}

// athOf is the DPoP proof's ath: base64url SHA-256 of the access token.
func athOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
