package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	if code, _, errOut = runCLI("cases", "import", bad, "--url", app.url, "--token-file", tokenFile); code == 0 || !strings.Contains(errOut, `unknown column "mail"`) {
		t.Fatalf("bad header: %d %q", code, errOut)
	}
	// A row the engine refuses is reported with its line.
	os.WriteFile(bad, []byte("email,kind,last_day\ne@example.com,voluntary,\n"), 0o600)
	if code, _, errOut = runCLI("cases", "import", bad, "--url", app.url, "--token-file", tokenFile); code != 1 || !strings.Contains(errOut, "line 2 (e@example.com)") || !strings.Contains(errOut, "last day") {
		t.Fatalf("refused row: %d %q", code, errOut)
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
