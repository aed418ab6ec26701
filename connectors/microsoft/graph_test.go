package microsoft_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

func TestClient_CertificateAssertion(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	reg := newRegistry(t, s, microsoft.Options{Certificate: s.CertificatePEM, PrivateKey: s.KeyPEM})
	for _, action := range []string{"entra.suspend", "entra.clear_sessions", "entra.reset_mfa"} {
		if _, err := run(t, reg, action, janeTarget); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}
	if u, _ := s.User(id); u.AccountEnabled {
		t.Fatal("not disabled")
	}
	// One token for the three actions: it is cached until near expiry.
	if n := s.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens issued, want 1", n)
	}
}

// otherCertificate is a valid certificate and key the fake's app does not
// know.
func otherCertificate(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "stranger"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
}

func TestClient_RefusedCredentials(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	badSecret := "not-the-secret-but-long-enough"
	certPEM, keyPEM := otherCertificate(t)
	for name, o := range map[string]microsoft.Options{
		"secret":      {ClientSecret: badSecret, Redactor: offboard.NewRedactor(badSecret)},
		"certificate": {Certificate: certPEM, PrivateKey: keyPEM},
	} {
		t.Run(name, func(t *testing.T) {
			reg := newRegistry(t, s, o)
			_, err := run(t, reg, "entra.suspend", janeTarget)
			if offboard.ErrorCode(err) != offboard.EFORBIDDEN || connectors.Retryable(err) {
				t.Fatalf("err = %v, want permanent forbidden", err)
			}
			if !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), badSecret) {
				t.Fatalf("message %q", err)
			}
		})
	}
	if u, _ := s.User(id); !u.AccountEnabled {
		t.Fatal("a refused credential changed the user")
	}
}

func TestNew_Refuses(t *testing.T) {
	s := graphtest.New(t)
	certPEM, keyPEM := otherCertificate(t)
	base := microsoft.Options{TenantID: graphtest.TenantID, ClientID: graphtest.ClientID}
	for name, tc := range map[string]struct {
		mod  func(*microsoft.Options)
		want string
	}{
		"no credential":    {func(o *microsoft.Options) {}, "no credential"},
		"both":             {func(o *microsoft.Options) { o.ClientSecret = "x"; o.Certificate = s.CertificatePEM }, "not both"},
		"key without cert": {func(o *microsoft.Options) { o.PrivateKey = s.KeyPEM }, "needs its private key"},
		"mismatched key":   {func(o *microsoft.Options) { o.Certificate = s.CertificatePEM; o.PrivateKey = keyPEM }, "does not belong"},
		"not a cert":       {func(o *microsoft.Options) { o.Certificate = keyPEM; o.PrivateKey = keyPEM }, "BEGIN CERTIFICATE"},
		"bad tenant":       {func(o *microsoft.Options) { o.TenantID = "a/b"; o.ClientSecret = "x" }, "tenant"},
	} {
		_ = certPEM
		o := base
		tc.mod(&o)
		_, err := microsoft.New(o)
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want EINVALID with %q", name, err, tc.want)
		}
	}
}
