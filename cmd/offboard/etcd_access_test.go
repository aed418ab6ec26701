package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// config check against a member that speaks no TLS while the config has
// a CA: the client alone would say only "context deadline exceeded";
// the error says the TLS handshake with that member fails.
func TestConfigCheck_EtcdTLSMismatch(t *testing.T) {
	member := etcdtest.Start(t)
	dir := t.TempDir()
	cfgPath := writeEtcdConfig(t, dir, member.Endpoint(), "")
	writeCAFile(t, filepath.Join(dir, "etcd-ca.pem"))
	cfg := strings.Replace(readFile(t, cfgPath), "    dial_timeout: 2s\n", "    dial_timeout: 2s\n    tls:\n      ca_file: etcd-ca.pem\n", 1)
	writeFile(t, cfgPath, cfg)
	code, out, errOut := runCLI("config", "check", "--config", cfgPath)
	if code != 1 || !strings.Contains(errOut, member.Endpoint()+": TLS with the member fails") {
		t.Fatalf("config check with TLS against a plain member: %d %q %q; want the TLS handshake named", code, out, errOut)
	}
}

// With authentication on in etcd, a wrong password is refused naming the
// user and the file, never the password; the right one, with a role on
// the prefix alone, passes.
func TestConfigCheck_EtcdAuth(t *testing.T) {
	member := etcdtest.Start(t)
	cli := member.Client(t)
	ctx := context.Background()
	for _, step := range []func() error{
		func() error { _, err := cli.RoleAdd(ctx, "root"); return err },
		func() error { _, err := cli.UserAdd(ctx, "root", "root-password-xyz"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.RoleAdd(ctx, "offboard"); return err },
		func() error {
			_, err := cli.RoleGrantPermission(ctx, "offboard", "team/acme/", "team/acme0", clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := cli.UserAdd(ctx, "offboard", "right-password-123"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "offboard", "offboard"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cfgPath := writeEtcdConfig(t, dir, member.Endpoint(), "")
	// The role reaches its prefix only: the check for a store around it
	// (at team/) cannot read there, and must not refuse for that.
	base := strings.Replace(readFile(t, cfgPath), `prefix: "acme/"`, `prefix: "team/acme/"`, 1)
	check := func(user, password string) (int, string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "etcd-password"), []byte(password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// etcd checks a password with bcrypt: under the race detector on a
		// busy machine that alone can take seconds.
		auth := "    dial_timeout: 10s\n"
		if user != "" {
			auth += "    username: " + user + "\n    password_file: etcd-password\n"
		}
		writeFile(t, cfgPath, strings.Replace(base, "    dial_timeout: 2s\n", auth, 1))
		code, out, errOut := runCLI("config", "check", "--config", cfgPath)
		if strings.Contains(out+errOut, password) {
			t.Errorf("the password is in the output: %q %q", out, errOut)
		}
		return code, out + errOut
	}
	if code, out := check("offboard", "wrong-password-456"); code != 1 || !strings.Contains(out, `etcd refused the user "offboard"`) {
		t.Errorf("wrong password: %d %q", code, out)
	}
	if code, out := check("", "unused-password-789"); code != 1 || !strings.Contains(out, "authentication on and no user was given") {
		t.Errorf("no user: %d %q", code, out)
	}
	if code, out := check("offboard", "right-password-123"); code != 0 || !strings.Contains(out, "prefix team/acme/ (reachable, empty") {
		t.Errorf("right password: %d %q", code, out)
	}
}

// writeCAFile writes a CA certificate of its own (it signed nothing the
// tests serve) to path.
func writeCAFile(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test etcd CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// config check refuses what serve would: a prefix inside another
// offboard's store, and one holding an unfinished migration.
func TestConfigCheck_EtcdPrefix(t *testing.T) {
	member := etcdtest.Start(t)
	cli := member.Client(t)
	ctx := context.Background()
	// A store at acme/ (its schema version), an unfinished copy at half/.
	if _, err := cli.Put(ctx, "acme/meta/schema_version", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "half/cases/OFF-0001", "{}"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := writeEtcdConfig(t, dir, member.Endpoint(), "")
	base := readFile(t, cfgPath)
	for prefix, want := range map[string]string{
		"acme/inner/": `lies inside the offboard store at "acme/"`,
		"half/":       "did not finish",
	} {
		writeFile(t, cfgPath, strings.Replace(base, `prefix: "acme/"`, `prefix: "`+prefix+`"`, 1))
		code, out, errOut := runCLI("config", "check", "--config", cfgPath)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("config check with prefix %s: %d %q %q; want %q", prefix, code, out, errOut, want)
		}
	}
}
