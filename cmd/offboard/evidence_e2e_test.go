package main

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// TestEvidence_Pack: a case run by serve (an involuntary exit whose
// revocations fail, with no Okta) is in the pack with its failure, its
// events and the checkpoint covering them; the CLI never changes the
// store; and the printed verify command passes on it.
func TestEvidence_Pack(t *testing.T) {
	dir := t.TempDir()
	cfgPath, cpFile, pub := anchoredConfig(t, dir)
	app := startApp(t, cfgPath, wireOptions{})
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	eventually(t, "the revocations to fail (no Okta)", func() bool {
		return taskByKey(readCase(t, app, id), "okta_suspend").Status == offboard.TaskFailed
	})
	app.stop() // the shutdown checkpoint covers every event
	dbPath := filepath.Join(dir, "offboard.db")
	before := fileSHA(t, dbPath)

	today := time.Now().UTC()
	from, to := today.AddDate(0, 0, -1).Format("2006-01-02"), today.AddDate(0, 0, 1).Format("2006-01-02")
	out := filepath.Join(dir, "pack.zip")
	code, stdout, stderr := runCLI("evidence", "--config", cfgPath, "--from", from, "--to", to, "--out", out)
	if code != 0 || !strings.Contains(stderr, "1 leaver,") {
		t.Fatalf("evidence: %d\n%s\n%s", code, stdout, stderr)
	}
	if fileSHA(t, dbPath) != before {
		t.Fatal("offboard evidence changed the store file")
	}
	files := unzip(t, out)
	rows, err := csv.NewReader(strings.NewReader(files["index.csv"])).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != string(id) || rows[1][3] != "involuntary" {
		t.Fatalf("index.csv = %q (%v)", rows, err)
	}
	// Not revoked, and the hour of the involuntary SLA has not passed.
	if v := rows[1][10]; v != "pending" {
		t.Errorf("verdict = %q, want pending for an unrevoked case inside its hour", v)
	}
	page := files["cases/"+string(id)+".html"]
	cps := checkpointLines(t, cpFile)
	last := cps[len(cps)-1]
	for _, s := range []string{"Jane Doe", "okta.suspend", ">failure<", "case.opened", last.Head, "--checkpoints " + cpFile} {
		if !strings.Contains(page, s) {
			t.Errorf("case page lacks %q", s)
		}
	}
	// The verify command the page prints passes on this store.
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--store", dbPath, "--checkpoints", cpFile, "--public-key", pub); code != 0 {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}

	t.Run("refusals", func(t *testing.T) {
		for _, args := range [][]string{
			{"evidence", "--config", cfgPath, "--from", from, "--out", out},
			{"evidence", "--config", cfgPath, "--from", "yesterday", "--to", to, "--out", out},
			{"evidence", "--config", cfgPath, "--from", to, "--to", from, "--out", out},
			{"evidence", "--config", cfgPath, "--from", from, "--to", to, "--case", "nope", "--out", out},
		} {
			if code, _, errOut := runCLI(args...); code != exitUsage {
				t.Errorf("%q: exit %d (%s), want %d", args, code, errOut, exitUsage)
			}
		}
		// A named case outside the period is refused by name.
		code, _, errOut := runCLI("evidence", "--config", cfgPath, "--from", "2020-01-01", "--to", "2020-01-31", "--case", string(id), "--out", out)
		if code == 0 || !strings.Contains(errOut, string(id)) || !strings.Contains(errOut, "outside the period") {
			t.Errorf("out-of-period case: exit %d %s", code, errOut)
		}
	})
}

func unzip(t *testing.T, name string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = string(b)
	}
	return files
}

// TestServe_DashboardEvidence: serve's dashboard streams the pack of the
// running store to the admin, behind the same guard as every page.
func TestServe_DashboardEvidence(t *testing.T) {
	dir := t.TempDir()
	const token = "dashboard-token-0123456789"
	app := startApp(t, writeConfig(t, dir, "console:\n  enabled: true\n  token: \""+token+"\"\n"), wireOptions{})
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	today := time.Now().UTC()
	target := app.url + "/evidence.zip?from=" + today.AddDate(0, 0, -1).Format("2006-01-02") + "&to=" + today.AddDate(0, 0, 1).Format("2006-01-02")
	if code, _ := getPage(t, target, ""); code != http.StatusUnauthorized {
		t.Fatalf("without the token: %d", code)
	}
	code, body := getPage(t, target, token)
	if code != http.StatusOK {
		t.Fatalf("evidence.zip = %d %.200s", code, body)
	}
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range zr.File {
		found = found || f.Name == "cases/"+string(id)+".html"
	}
	if !found {
		t.Errorf("the downloaded pack has no page for %s", id)
	}
	if code, page := getPage(t, app.url+"/audit", token); code != 200 || !strings.Contains(page, "Download evidence") {
		t.Errorf("audit page: %d, no Download evidence form", code)
	}
}
