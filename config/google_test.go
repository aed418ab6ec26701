package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
)

// A malformed service account key stops config check naming the key and
// what is wrong, never quoting the key; a private_key that is no RSA key
// is caught here rather than at every Google task's first token request.
func TestConfig_GoogleServiceAccountKey(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(rk)
	if err != nil {
		t.Fatal(err)
	}
	goodPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	const secret = "SECRETSECRETSECRET"
	badPEM := "-----BEGIN PRIVATE KEY-----\nMIIEv" + secret + "\n-----END PRIVATE KEY-----\n"
	key := func(typ, email, pk string) string {
		b, _ := json.Marshal(map[string]string{"type": typ, "client_email": email, "private_key": pk,
			"token_uri": "https://oauth2.googleapis.com/token"})
		return string(b)
	}
	section := func(k string) string {
		q, _ := json.Marshal(k)
		return "google:\n  admin_email: admin@example.com\n  service_account_key: " + string(q) + "\n"
	}
	for _, tt := range []struct{ name, key, want string }{
		{"not json", "not json " + secret, "it is not JSON"},
		{"wrong type", key("authorized_user", "a@b.iam.gserviceaccount.com", goodPEM), `want a key of type service_account, got "authorized_user"`},
		{"no client_email", key("service_account", "", goodPEM), "the key has no client_email"},
		{"no private_key", key("service_account", "a@b.iam.gserviceaccount.com", ""), "the key has no private_key"},
		{"private_key not PEM", key("service_account", "a@b.iam.gserviceaccount.com", secret), "not a PEM RSA private key"},
		{"private_key not a key", key("service_account", "a@b.iam.gserviceaccount.com", badPEM), "not a PEM RSA private key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := parseErr(t, section(tt.key), noEnv).Error()
			if !strings.Contains(msg, "config.yaml:3: google.service_account_key: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want google.service_account_key: …%s", msg, tt.want)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, "BEGIN") {
				t.Errorf("the error quotes the key: %q", msg)
			}
		})
	}
	// From a file: the problem is the file's, at its line.
	file := writeSecret(t, t.TempDir(), "key.json", key("service_account", "a@b.iam.gserviceaccount.com", secret), 0o600)
	msg := parseErr(t, "google:\n  admin_email: admin@example.com\n  service_account_key_file: "+file+"\n", noEnv).Error()
	if !strings.Contains(msg, "config.yaml:3: google.service_account_key_file: "+file+": the key's private_key is not a PEM RSA private key") ||
		strings.Contains(msg, secret) {
		t.Errorf("from a file: %q", msg)
	}
	if c := parse(t, section(key("service_account", "a@b.iam.gserviceaccount.com", goodPEM)), noEnv); !c.GoogleEnabled() {
		t.Error("a good key: google not enabled")
	}
}
