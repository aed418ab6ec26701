package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestCasesImport(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, ""), wireOptions{})
	csvPath := filepath.Join(dir, "layoff.csv")
	os.WriteFile(csvPath, []byte("email,name,manager_email,kind,last_day\n"+
		"a.one@example.com,Ann One,mona@example.com,,\n"+
		// Within cases.max_future (2 years by default).
		"b.two@example.com,Bob Two,,voluntary,"+time.Now().UTC().AddDate(0, 2, 0).Format(time.DateOnly)+"\n"+
		"c.three@example.com,Cy Three,,,\n"), 0o600)
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(hrToken+"\n"), 0o600)

	code, out, errOut := runCLI("cases", "import", csvPath, "--url", app.url, "--token-file", tokenFile)
	if code != 0 || !strings.Contains(out, "3 opened, 0 already open, 0 failed") {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	// Running the same file again opens nothing twice.
	code, out, _ = runCLI("cases", "import", csvPath, "--url", app.url, "--token-file", tokenFile)
	if code != 0 || !strings.Contains(out, "0 opened, 3 already open") {
		t.Fatalf("second import: %d %q", code, out)
	}
	// Rows go in parallel: find Ann's case by her email.
	r := call(t, "GET", app.url+"/api/v1/cases?email=a.one@example.com", hrToken, "")
	var list struct{ Cases []offboard.CaseView }
	if err := json.Unmarshal(r.body, &list); err != nil || len(list.Cases) != 1 {
		t.Fatalf("Ann's cases: %s", r.body)
	}
	if c := list.Cases[0].Case; c.Kind != "involuntary" || c.Employee.Name != "Ann One" || c.Employee.ManagerEmail != "mona@example.com" {
		t.Fatalf("imported case = %+v", c)
	}

	// A bad file is refused whole, naming every problem.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("email,kind\nd@example.com,\nnot-an-email,\nd@example.com,\n"), 0o600)
	code, _, errOut = runCLI("cases", "import", bad, "--url", app.url, "--token-file", tokenFile)
	if code == 0 || !strings.Contains(errOut, "line 3") || !strings.Contains(errOut, "also on line 2") {
		t.Fatalf("bad file: %d %q", code, errOut)
	}
	os.WriteFile(bad, []byte("mail,kind\nd@example.com,\n"), 0o600)
	if code, _, errOut = runCLI("cases", "import", bad, "--url", app.url, "--token-file", tokenFile); code == 0 || !strings.Contains(errOut, "no email column") {
		t.Fatalf("bad header: %d %q", code, errOut)
	}
	// A row the server refuses is reported with its line; the others open.
	os.WriteFile(bad, []byte("email,name\ne@example.com,"+strings.Repeat("E", 201)+"\nf@example.com,Fay\n"), 0o600)
	code, out, errOut = runCLI("cases", "import", bad, "--url", app.url, "--token-file", tokenFile)
	if code != 1 || !strings.Contains(errOut, "line 2 (e@example.com)") || !strings.Contains(errOut, "employee.name") || !strings.Contains(out, "1 opened, 0 already open, 1 failed") {
		t.Fatalf("refused row: %d %q %q", code, out, errOut)
	}
}

// No import says "done" while opening nothing: a header without rows, or
// a --url answering 2xx without this person's case, fails loudly.
func TestCasesImport_NothingSilent(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(hrToken+"\n"), 0o600)
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, []byte("email,kind\n"), 0o600)
	if code, _, errOut := runCLI("cases", "import", empty, "--url", "http://127.0.0.1:1", "--token-file", tokenFile); code == 0 || !strings.Contains(errOut, "no rows") {
		t.Errorf("header only: %d %q", code, errOut)
	}
	// Something that is not offboard answers 200 to everything.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer other.Close()
	rows := filepath.Join(dir, "rows.csv")
	os.WriteFile(rows, []byte("email,kind\nx@example.com,involuntary\n"), 0o600)
	code, out, errOut := runCLI("cases", "import", rows, "--url", other.URL, "--token-file", tokenFile)
	if code != 1 || !strings.Contains(out, "0 opened, 0 already open, 1 failed") || !strings.Contains(errOut, "line 2 (x@example.com)") {
		t.Errorf("a 200 without a case: %d %q %q", code, out, errOut)
	}
}

// With only --config, the import finds the server (http.listen) and an
// hr token (api.tokens); it reads Excel's "CSV UTF-8", ignores columns it
// does not use with a notice, writes which row became which case, and
// neither a dry run nor a file with one bad row sends anything.
func TestCasesImport_FromConfig(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cfgPath := writeConfig(t, dir, "")
	text, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(text), `"127.0.0.1:0"`,
		fmt.Sprintf("\"0.0.0.0:%d\"\n  allowed_hosts: [offboard.example.com]", port), 1)), 0o600)
	app := startAppOn(t, cfgPath, wireOptions{}, ln)
	caseOf := func(email string) []offboard.CaseView {
		r := call(t, "GET", app.url+"/api/v1/cases?email="+email, hrToken, "")
		var list struct{ Cases []offboard.CaseView }
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Fatalf("cases of %s: %s", email, r.body)
		}
		return list.Cases
	}

	csvPath := filepath.Join(dir, "excel.csv")
	os.WriteFile(csvPath, []byte("\xef\xbb\xbfemail,name,Cost Center,kind\r\nann@example.com,Ann,4711,involuntary\r\nbob@example.com,Bob,4712,\r\n"), 0o600)
	mapPath := filepath.Join(dir, "map.csv")
	code, out, errOut := runCLI("cases", "import", csvPath, "--config", cfgPath, "--out", mapPath)
	if code != 0 || !strings.Contains(out, "2 opened, 0 already open, 0 failed") ||
		!strings.Contains(errOut, "notice: ignoring columns offboard does not use: cost center") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	ann := caseOf("ann@example.com")
	if len(ann) != 1 || !regexp.MustCompile(`(?m)^2\s+ann@example\.com\s+`+string(ann[0].Case.ID)+`\s+opened$`).MatchString(out) {
		t.Fatalf("the printed map does not name Ann's case %v:\n%s", ann, out)
	}
	m, _ := os.ReadFile(mapPath)
	bob := caseOf("bob@example.com")
	want := "line,email,case_id,result,message\n2,ann@example.com," + string(ann[0].Case.ID) + ",opened,\n3,bob@example.com," + string(bob[0].Case.ID) + ",opened,\n"
	if string(m) != want {
		t.Fatalf("map.csv =\n%s\nwant\n%s", m, want)
	}

	// A dry run sends nothing.
	dry := filepath.Join(dir, "dry.csv")
	os.WriteFile(dry, []byte("email,kind\ncy@example.com,involuntary\n"), 0o600)
	code, out, errOut = runCLI("cases", "import", dry, "--config", cfgPath, "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run: 1 rows are valid; nothing was sent") || !strings.Contains(out, "cy@example.com") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errOut)
	}
	// One bad row stops the whole file before anything is sent.
	mixed := filepath.Join(dir, "mixed.csv")
	os.WriteFile(mixed, []byte("email,kind,last_day\ncy@example.com,involuntary,\ndee@example.com,voluntary,31/12/2026\n"), 0o600)
	code, _, errOut = runCLI("cases", "import", mixed, "--config", cfgPath)
	if code == 0 || !strings.Contains(errOut, `line 3: last_day "31/12/2026" is not in the expected format YYYY-MM-DD: write 2026-12-31`) {
		t.Fatalf("mixed: %d %s", code, errOut)
	}
	if len(caseOf("cy@example.com")) != 0 {
		t.Fatal("a dry run or a refused file opened a case")
	}
	// A config without an hr or admin token says what to add.
	bare := filepath.Join(t.TempDir(), "bare.yaml")
	os.WriteFile(bare, []byte("company:\n  name: X\n  time_zone: UTC\nstore:\n  path: x.db\n"), 0o600)
	if code, _, errOut := runCLI("cases", "import", dry, "--config", bare); code != exitUsage || !strings.Contains(errOut, "no token with role hr or admin") {
		t.Fatalf("no token: %d %s", code, errOut)
	}
}

func TestCasesImport_Help(t *testing.T) {
	code, _, errOut := runCLI("cases", "import", "--help")
	if code != 0 || !strings.Contains(errOut, "Example:") || !strings.Contains(errOut, "--dry-run") || !strings.Contains(errOut, "offboard cases import layoff.csv --config offboard.yaml") {
		t.Fatalf("help: %d %s", code, errOut)
	}
}
