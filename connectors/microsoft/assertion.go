package microsoft

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// assertionType is the client_assertion_type of a signed JWT (RFC 7523).
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLife is how long a client assertion is valid: one token
// request's worth.
const assertionLife = 5 * time.Minute

// assertionSigner builds the client assertions the Microsoft identity
// platform accepts in place of a secret: a JWT signed RS256 with the
// certificate's key, naming the certificate by its SHA-1 thumbprint
// (x5t), for the tenant's token endpoint (aud), issued by and about the
// app (iss = sub = client id).
type assertionSigner struct {
	clientID string
	audience string
	key      *rsa.PrivateKey
	x5t      string
	now      func() time.Time
}

func newAssertionSigner(clientID, audience string, certPEM, keyPEM []byte, now func() time.Time) (*assertionSigner, error) {
	if len(certPEM) == 0 || len(keyPEM) == 0 {
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: a certificate needs its private key, and the key its certificate")
	}
	cert, err := parseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseRSAKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if !keyMatches(cert, key) {
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: the private key does not belong to the certificate")
	}
	sum := sha1.Sum(cert.Raw)
	return &assertionSigner{clientID: clientID, audience: audience, key: key,
		x5t: base64.RawURLEncoding.EncodeToString(sum[:]), now: now}, nil
}

func parseCertificate(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: the certificate must be PEM (BEGIN CERTIFICATE)")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: the certificate does not parse: %v", err)
	}
	return cert, nil
}

func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: the private key must be PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, offboard.Errorf(offboard.EINVALID, "microsoft: the PKCS#1 private key does not parse")
		}
		return key, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, offboard.Errorf(offboard.EINVALID, "microsoft: the PKCS#8 private key does not parse")
		}
		key, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, offboard.Errorf(offboard.EINVALID, "microsoft: the private key must be RSA (the identity platform verifies RS256)")
		}
		return key, nil
	}
	return nil, offboard.Errorf(offboard.EINVALID, "microsoft: a %q PEM block is not a private key", block.Type)
}

// sign returns a new assertion.
func (s *assertionSigner) sign() (string, error) {
	now := s.now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("microsoft: assertion id: %w", err)
	}
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "x5t": s.x5t})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"aud": s.audience, "iss": s.clientID, "sub": s.clientID, "jti": hex.EncodeToString(jti),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(assertionLife).Unix(),
	})
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("microsoft: sign the client assertion: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// keyMatches reports whether the certificate holds key's public half.
func keyMatches(cert *x509.Certificate, key *rsa.PrivateKey) bool {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	return ok && pub.Equal(&key.PublicKey)
}
