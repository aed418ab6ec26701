package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// writeEtcdConfig is writeConfig with the store on etcd at endpoint.
func writeEtcdConfig(t testing.TB, dir, endpoint, extra string) string {
	t.Helper()
	path := writeConfig(t, dir, extra)
	cfg := strings.Replace(readFile(t, path), "  tokens:\n", "  tokens:\n    - name: ops\n      token: \""+adminAPIToken+"\"\n      role: admin\n", 1)
	cfg = strings.Replace(cfg, "store:\n", fmt.Sprintf("store:\n  backend: etcd\n  etcd:\n    endpoints: [%q]\n    prefix: \"acme/\"\n    dial_timeout: 2s\n", endpoint), 1)
	writeFile(t, path, cfg)
	return path
}

// serve on etcd, end to end: a case opened through the REST API revokes
// Jane in the fake Okta; the chain verifies with offboard audit verify
// against the same etcd; the read commands read it; no bbolt file is
// made; /readyz is 200, and 503 once etcd is gone.
func TestServe_OnEtcd(t *testing.T) {
	member := etcdtest.Start(t)
	fake := oktatest.New(t)
	jane := fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe", ManagerID: "mona.manager@example.com",
		Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"oag1"}, Sessions: 2, OAuthTokens: 1})
	dir := t.TempDir()
	cfgPath := writeEtcdConfig(t, dir, member.Endpoint(), fmt.Sprintf("okta:\n  org_url: %q\n  api_token: %q\n  insecure_http_for_tests: true\n", fake.URL(), oktatest.Token))
	var logs syncBuffer
	app := startAppLogging(t, cfgPath, wireOptions{}, &logs)

	eventually(t, "/readyz 200 on etcd", func() bool {
		return call(t, "GET", app.url+"/readyz", "", "").status == http.StatusOK
	})
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	revocations := []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants"}
	var v offboard.CaseView
	eventually(t, "revocations done on etcd", func() bool {
		v = readCase(t, app, id)
		for _, k := range revocations {
			if taskByKey(v, k).Status != offboard.TaskDone {
				return false
			}
		}
		return v.Case.RevokedAt != nil
	})
	if got, _ := fake.User(jane.ID); got.Status != "SUSPENDED" || got.Sessions != 0 || len(got.Factors) != 0 {
		t.Fatalf("Okta user after revocation: %+v", got)
	}
	// Jane's case opened again names the open one; no second case.
	if again := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); again.status == http.StatusCreated || !strings.Contains(string(again.body), string(id)) {
		t.Errorf("opening Jane's case again = %d %s; want a refusal naming %s", again.status, again.body, id)
	}
	m := call(t, "GET", app.url+"/metrics", "", "")
	if m.status != http.StatusOK || !strings.Contains(string(m.body), `offboard_cases{status="open"} 1`) {
		t.Errorf("/metrics = %d; want one open case counted from etcd:\n%.2000s", m.status, m.body)
	}
	if b := call(t, "POST", app.url+"/api/v1/admin/backup", adminAPIToken, ""); b.status != http.StatusConflict || !strings.Contains(string(b.body), "etcdctl snapshot save") {
		t.Errorf("admin backup on etcd = %d %s; want 409 naming etcdctl snapshot save", b.status, b.body)
	}
	// serve campaigned through the store's election and, alone, leads.
	if !strings.Contains(logs.String(), "this replica leads now") {
		t.Errorf("serve on etcd did not lead through the election:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "etcdctl snapshot save") {
		t.Errorf("serve did not say that etcd's tools take the backups:\n%s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "offboard.db")); !os.IsNotExist(err) {
		t.Errorf("a bbolt file was made beside an etcd config: %v", err)
	}

	// While serve runs, the auditor verifies the chain in the same etcd.
	code, out, errOut := runCLI("audit", "verify", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "audit chain OK") || !strings.Contains(out, "indexes not checked") {
		t.Fatalf("audit verify on etcd: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI("audit", "export", "--config", cfgPath, "--case", string(id))
	if code != 0 || !strings.Contains(out, `"action":"case.access_revoked"`) || !strings.Contains(out, "Jane Doe") {
		t.Fatalf("audit export on etcd: %d %s\n%s", code, errOut, out)
	}
	code, out, _ = runCLI("cases", "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, string(id)) || !strings.Contains(out, "Jane Doe") {
		t.Fatalf("cases list on etcd: %d\n%s", code, out)
	}
	code, out, errOut = runCLI("config", "check", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "prefix acme/ (reachable, holds a store)") {
		t.Fatalf("config check on etcd: %d %q %q", code, out, errOut)
	}
	if _, out, _ = runCLI("doctor", "--config", cfgPath); !strings.Contains(out, "Store: etcd answers at "+member.Endpoint()+"; prefix acme/ holds a store") {
		t.Errorf("doctor on etcd:\n%s", out)
	}

	member.Stop()
	eventually(t, "/readyz to fail with etcd gone", func() bool {
		return call(t, "GET", app.url+"/readyz", "", "").status == http.StatusServiceUnavailable
	})
	if r := call(t, "GET", app.url+"/healthz", "", ""); r.status != http.StatusServiceUnavailable {
		t.Errorf("healthz with etcd gone = %d %s", r.status, r.body)
	}
}

// config check names an etcd it cannot reach, within the dial timeout,
// and so does serve.
func TestConfigCheck_EtcdUnreachable(t *testing.T) {
	dead := etcdtest.FreePort(t) // nothing listens there
	cfgPath := writeEtcdConfig(t, t.TempDir(), dead, "")
	began := time.Now()
	code, out, errOut := runCLI("config", "check", "--config", cfgPath)
	took := time.Since(began)
	if code != 1 || !strings.Contains(errOut, "store.etcd.endpoints "+dead) || !strings.Contains(errOut, "no answer within store.etcd.dial_timeout (2s)") {
		t.Fatalf("config check against no etcd: %d %q %q; want exit 1 naming %s and the timeout", code, out, errOut, dead)
	}
	if took > 6*time.Second {
		t.Errorf("config check took %s against a 2s dial timeout", took)
	}
	code, _, errOut = runCLI("cases", "list", "--config", cfgPath)
	if code != 1 || !strings.Contains(errOut, dead) {
		t.Errorf("cases list against no etcd: %d %q", code, errOut)
	}
	code, out, errOut = runCLI("doctor", "--config", cfgPath)
	if code != 1 || !strings.Contains(out, "✗ Store: store.etcd.endpoints "+dead) || !strings.Contains(out, "Backups: not offboard's") {
		t.Errorf("doctor against no etcd: %d\n%s%s", code, out, errOut)
	}
}

// The bbolt file's duties refuse on etcd with etcd's own tools named.
func TestRestore_RefusedOnEtcd(t *testing.T) {
	cfgPath := writeEtcdConfig(t, t.TempDir(), "127.0.0.1:2379", "")
	code, _, errOut := runCLI("restore", "--config", cfgPath, "--from", "copy.db")
	if code != exitUsage || !strings.Contains(errOut, "etcdctl snapshot save") || !strings.Contains(errOut, "bbolt store file only") {
		t.Fatalf("restore on etcd: %d %q; want exit 2 with etcd's tools named", code, errOut)
	}
}

// A cluster left at etcd's default --max-txn-ops (128) would refuse
// offboard's larger commands mid-work: config check says so up front.
func TestConfigCheck_EtcdMaxTxnOps(t *testing.T) {
	member := etcdtest.StartMaxTxnOps(t, 128)
	cfgPath := writeEtcdConfig(t, t.TempDir(), member.Endpoint(), "")
	code, out, errOut := runCLI("config", "check", "--config", cfgPath)
	if code != 1 || !strings.Contains(errOut, "run them with --max-txn-ops 1024") || !strings.Contains(errOut, member.Endpoint()) {
		t.Fatalf("config check against a 128-op member: %d %q %q; want exit 1 asking for --max-txn-ops 1024", code, out, errOut)
	}
}

// Erasure on etcd: the retention job erases Jane's case, nothing at the
// current revision holds her name or email, the chain verifies; her data
// stays in etcd's older revisions until the cluster compacts them, as
// the README says, and is gone from them after.
func TestServe_ErasureOnEtcd(t *testing.T) {
	member := etcdtest.Start(t)
	dir := t.TempDir()
	cfgPath := writeEtcdConfig(t, dir, member.Endpoint(), "retention:\n  personal_data: 30d\n")
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	app := startApp(t, cfgPath, wireOptions{clock: clock})
	id := closedJaneCase(t, app, clock, "Jane Doe stays")
	cli := member.Client(t)
	ctx := context.Background()
	before, err := cli.Get(ctx, "acme/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * 24 * time.Hour)
	app.app.eraseDue(ctx, 30*24*time.Hour, app.app.log)
	if v := readCase(t, app, id); v.Case.ErasedAt == nil || v.Case.Employee.Email != "" {
		t.Fatalf("after the retention job: %+v", v.Case.Employee)
	}
	app.stop()

	holdsJane := func(kvs []*mvccpb.KeyValue) []string {
		var keys []string
		for _, kv := range kvs {
			if v := strings.ToLower(string(kv.Value)); strings.Contains(v, "jane") {
				keys = append(keys, string(kv.Key))
			}
		}
		return keys
	}
	now, err := cli.Get(ctx, "acme/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if keys := holdsJane(now.Kvs); len(keys) > 0 {
		t.Errorf("after erasure these keys still hold Jane: %v", keys)
	}
	old, err := cli.Get(ctx, "acme/", clientv3.WithPrefix(), clientv3.WithRev(before.Header.Revision))
	if err != nil || len(holdsJane(old.Kvs)) == 0 {
		t.Fatalf("the revision before the erasure: %v, %d keys with Jane; want her there until compaction", err, len(holdsJane(old.Kvs)))
	}
	if _, err := cli.Compact(ctx, now.Header.Revision); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Get(ctx, "acme/", clientv3.WithPrefix(), clientv3.WithRev(before.Header.Revision)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Errorf("reading the old revision after compaction: %v; want it compacted away", err)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("verify after erasure: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCLI("cases", "show", "--config", cfgPath, string(id)); code != 0 || !strings.Contains(out, "erased on") || strings.Contains(strings.ToLower(out), "jane") {
		t.Errorf("cases show: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCLI("erase", "--config", cfgPath, "--case", string(id), "--reason", "asked twice")
	if code != 0 || !strings.Contains(out, "already") || strings.Contains(out, "compacted") {
		t.Fatalf("second erase on etcd: %d %s %s", code, out, errOut)
	}
}
