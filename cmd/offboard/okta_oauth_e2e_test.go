package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// writePKCS8 saves k as the Admin Console hands it out ("BEGIN PRIVATE
// KEY") to a file only its owner reads.
func writePKCS8(t *testing.T, dir string, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "okta_private_key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var oktaRevocations = []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants"}

// The README's Okta setup, followed literally against a new API Services
// app (PKCS#8 key from the Admin Console, DPoP required, the minimal
// config with no DPoP setting): an involuntary exit revokes and verifies,
// including MFA factors Okta's factor list does not show.
func TestServe_OktaReadmeServiceApp(t *testing.T) {
	fake := oktatest.New(t)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fake.AddApp(oktatest.ServiceApp{ClientID: "0oaoffboard", Key: &k.PublicKey, Scopes: oktaconn.DefaultScopes(), RequireDPoP: true})
	jane := fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe",
		ManagerID: "mona.manager@example.com", Sessions: 1, Grants: []string{"oag1"},
		Factors: []oktatest.Factor{{FactorType: "push", Policy: "contractors"}}})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  client_id: 0oaoffboard
  private_key_file: %q
  private_key_id: kid1
  rate_share: 0.5
  insecure_http_for_tests: true
`, fake.URL(), writePKCS8(t, dir, k)))
	app := startApp(t, cfgPath, wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "revocations done", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		for _, key := range oktaRevocations {
			if task := taskByKey(v, key); task == nil || task.Status != offboard.TaskDone {
				return false
			}
		}
		return true
	})
	got, _ := fake.User(jane.ID)
	if got.Status != "SUSPENDED" || len(got.Factors) != 0 || len(got.Grants) != 0 || got.Sessions != 0 {
		t.Fatalf("Okta user after revocation: %+v", got)
	}
	for _, key := range oktaRevocations {
		if ev := taskByKey(v, key).Evidence; ev["okta_user_id"] != jane.ID || ev["read_back"] == "" {
			t.Errorf("%s evidence %v", key, ev)
		}
	}
}

// A service app whose key Okta does not know is a configuration error:
// each Okta task fails on its first attempt with what to fix, instead of
// being retried as if Okta were down.
func TestServe_OktaRefusedCredentialsNotRetried(t *testing.T) {
	fake := oktatest.New(t)
	registered, _ := rsa.GenerateKey(rand.Reader, 2048)
	configured, _ := rsa.GenerateKey(rand.Reader, 2048)
	fake.AddApp(oktatest.ServiceApp{ClientID: "0oaoffboard", Key: &registered.PublicKey, Scopes: oktaconn.DefaultScopes(), RequireDPoP: true})
	fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", ManagerID: "mona.manager@example.com"})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  client_id: 0oaoffboard
  private_key_file: %q
  private_key_id: kid1
  insecure_http_for_tests: true
`, fake.URL(), writePKCS8(t, dir, configured)))
	app := startApp(t, cfgPath, wireOptions{})
	body := strings.Replace(involuntaryJane, `"kind"`, `"confirm_unknown":true,"kind"`, 1)
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "Okta tasks failed", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		for _, key := range oktaRevocations {
			if task := taskByKey(v, key); task == nil || task.Status != offboard.TaskFailed {
				return false
			}
		}
		return true
	})
	for _, key := range oktaRevocations {
		task := taskByKey(v, key)
		if task.Attempts != 1 || !strings.Contains(task.LastError, "okta.private_key") {
			t.Errorf("%s: %d attempts, error %q; want 1 attempt and an error naming the key", key, task.Attempts, task.LastError)
		}
	}
}
