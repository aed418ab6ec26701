package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/config"
)

// selfSigned returns a PEM certificate and its PEM key.
func selfSigned(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "offboard"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

func TestStore_BackendDefaults(t *testing.T) {
	c := parse(t, "company:\n  name: Acme\n", noEnv)
	if c.Store.Backend != config.BackendBbolt || c.EtcdBackend() {
		t.Errorf("backend = %q; want bbolt by default", c.Store.Backend)
	}
	c = parse(t, "store:\n  backend: etcd\n  path: \"\"\n  etcd:\n    endpoints: [\"127.0.0.1:2379\", \"https://etcd-2:2379\"]\n", noEnv)
	e := c.Store.Etcd
	if !c.EtcdBackend() || e.Prefix != "offboard/" || e.DialTimeout.D() != 5*time.Second || e.Lease.D() != 10*time.Second || len(e.Endpoints) != 2 {
		t.Errorf("etcd = %+v; want the defaults (offboard/, 5s, 10s) and both endpoints; store.path not required", e)
	}
}

func TestStore_EtcdValidate(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown backend", "store:\n  backend: postgres\n", []string{`store.backend: want bbolt or etcd, got "postgres"`}},
		{"no endpoints", "store:\n  backend: etcd\n", []string{`store.etcd.endpoints: required when store.backend is etcd`}},
		{"bad endpoints", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"etcd-1\", \"ftp://etcd:21\", \"\"]\n",
			[]string{`store.etcd.endpoints[0]: want a URL`, `store.etcd.endpoints[1]: want an http or https URL`, `store.etcd.endpoints[2]: is empty`}},
		{"prefix without slash", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n    prefix: offboard\n",
			[]string{`store.etcd.prefix: must end with "/"`}},
		{"dial timeout", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n    dial_timeout: 0s\n",
			[]string{`store.etcd.dial_timeout: must be longer than 0 and at most 1m, got 0s`}},
		{"lease too short", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n    lease: 1s\n",
			[]string{`store.etcd.lease: must be from 2s to 5m`}},
		{"lease too long", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n    lease: 6m\n",
			[]string{`store.etcd.lease: must be from 2s to 5m`}},
		{"user without password", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n    username: offboard\n",
			[]string{`store.etcd.password_file: required with store.etcd.username`}},
		{"password inline", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n    username: offboard\n    password: hunter2\n",
			[]string{`unknown key "password"`}},
		{"cert without key", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n    tls:\n      cert_file: /nonexistent/cert.pem\n",
			[]string{`store.etcd.tls.cert_file:`, `store.etcd.tls.key_file: required with store.etcd.tls.cert_file`}},
		{"backups on etcd", "store:\n  backend: etcd\n  etcd:\n    endpoints: [\"a:2379\"]\n  backup:\n    dir: backups\n",
			[]string{`store.backup: backs up the bbolt file only; with etcd take snapshots with etcdctl snapshot save`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := parseErr(t, tt.src, noEnv).Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain %q", msg, w)
				}
			}
		})
	}
}

func TestStore_EtcdSecretsAndTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t)
	ca := writeSecret(t, dir, "ca.pem", cert, 0o644)
	crt := writeSecret(t, dir, "client.pem", cert, 0o644)
	kf := writeSecret(t, dir, "client.key", key, 0o600)
	pw := writeSecret(t, dir, "etcd.pw", "etcd-pass-1\n", 0o600)
	src := fmt.Sprintf("store:\n  backend: etcd\n  etcd:\n    endpoints: [\"https://etcd-1:2379\"]\n    username: offboard\n    password_file: %q\n"+
		"    tls:\n      ca_file: %q\n      cert_file: %q\n      key_file: %q\n", pw, ca, crt, kf)
	c := parse(t, src, noEnv)
	e := c.Store.Etcd
	if e.Password.Reveal() != "etcd-pass-1" {
		t.Errorf("password = %q; want the file's line", e.Password.Reveal())
	}
	secrets := strings.Join(c.Secrets(), "\n")
	if !strings.Contains(secrets, "etcd-pass-1") || !strings.Contains(secrets, strings.TrimSpace(key)) {
		t.Error("the etcd password or the TLS key is not among Secrets(), so the redactor would not remove it")
	}
	tc, err := e.TLS.Config()
	if err != nil || tc.RootCAs == nil || len(tc.Certificates) != 1 {
		t.Fatalf("TLS config = %+v, %v; want the CA and one client certificate", tc, err)
	}
	// The key is a secret file: its mode is checked.
	if err := os.Chmod(kf, 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := parseErr(t, src, noEnv).Error(); !strings.Contains(msg, "store.etcd.tls.key_file") || !strings.Contains(msg, "chmod 600") {
		t.Errorf("a world-readable key: %s", msg)
	}
	if err := os.Chmod(kf, 0o600); err != nil {
		t.Fatal(err)
	}
	// http with TLS configured, and a key that is not the certificate's.
	_, other := selfSigned(t)
	kf2 := writeSecret(t, dir, "other.key", other, 0o600)
	bad := strings.Replace(strings.Replace(src, "https://", "http://", 1), kf, kf2, 1)
	msg := parseErr(t, bad, noEnv).Error()
	for _, w := range []string{"store.etcd.endpoints[0]: is http while store.etcd.tls is set", "store.etcd.tls.cert_file: the certificate and store.etcd.tls.key_file are no key pair"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error\n%s\ndoes not contain %q", msg, w)
		}
	}
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := parseErr(t, strings.Replace(src, ca, notPEM, 1), noEnv).Error(); !strings.Contains(msg, "store.etcd.tls.ca_file: holds no PEM certificate") {
		t.Errorf("a CA file without a certificate: %s", msg)
	}
}
