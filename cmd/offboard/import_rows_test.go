package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// importNow is a fixed "now" so that past and future are certain.
var importNow = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func testRules() importRules {
	return importRules{defaultKind: offboard.Involuntary, now: importNow, maxFuture: 730 * 24 * time.Hour}
}

func writeCSV(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "layoff.csv")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadImport_EveryProblemWithItsLine(t *testing.T) {
	path := writeCSV(t, "email,kind,last_day,time_zone,effective_at\n"+
		"a@example.com,voluntary,31/12/2026,,\n"+ // line 2: day first
		"b@example.com,fired,,,\n"+ // line 3: unknown kind
		"c@example.com,voluntary,2026-01-05,,\n"+ // line 4: past
		"a@example.com,involuntary,,,\n"+ // line 5: duplicate of line 2's email (line 2 failed, so not seen)
		"d@example.com,involuntary,,,\n"+ // line 6: fine
		"d@example.com,involuntary,,,\n"+ // line 7: duplicate
		"e@example.com,voluntary,,,\n"+ // line 8: needs a day
		"f@example.com,involuntary,,Mars/Base,\n"+ // line 9
		"g@example.com,involuntary,,,tomorrow\n"+ // line 10
		"h@example.com,voluntary,2099-01-01,,\n"+ // line 11: too far ahead
		"i@example.com,voluntary\n") // line 12: short row
	_, err := readImport(path, testRules())
	if err == nil {
		t.Fatal("a file with problems was accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"nothing imported, nothing sent",
		`line 2: last_day "31/12/2026" is not in the expected format YYYY-MM-DD: write 2026-12-31`,
		`line 3: kind "fired" is not a departure kind`,
		"line 4: last_day 2026-01-05 is in the past (today is 2026-12-07 in UTC)",
		"line 7: d@example.com is also on line 6",
		"line 8: a voluntary departure needs a last_day (YYYY-MM-DD)",
		`line 9: time_zone "Mars/Base" is not an IANA time zone`,
		`line 10: effective_at "tomorrow" is not in the expected format`,
		"line 11: last_day 2099-01-01 is more than 730 days ahead",
		"line 12: has 2 columns, the header has 5",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "line 5") || strings.Contains(msg, "line 6:") {
		t.Errorf("a good row was refused:\n%s", msg)
	}
}

func TestReadImport_BOMExtraColumnsAndBlankRows(t *testing.T) {
	path := writeCSV(t, "\xef\xbb\xbfEmail,Name,Cost Center,kind\r\n"+
		"a@example.com,Ann,4711,\r\n"+
		"B@Example.com,Bob,4712,involuntary\r\n"+
		",,,\r\n")
	file, err := readImport(path, testRules())
	if err != nil {
		t.Fatal(err)
	}
	if len(file.rows) != 2 || file.rows[0].email != "a@example.com" || file.rows[1].email != "b@example.com" || file.rows[1].line != 3 {
		t.Fatalf("rows = %+v", file.rows)
	}
	if len(file.ignored) != 1 || file.ignored[0] != "cost center" {
		t.Fatalf("ignored = %q", file.ignored)
	}
	if k := file.rows[0].body["kind"]; k != "involuntary" {
		t.Fatalf("default kind = %v", k)
	}
}

func TestReadImport_MissingColumns(t *testing.T) {
	if _, err := readImport(writeCSV(t, "mail,name\nx@example.com,X\n"), testRules()); err == nil || !strings.Contains(err.Error(), "no email column") {
		t.Fatalf("no email column: %v", err)
	}
	rules := testRules()
	rules.defaultKind = offboard.Voluntary
	_, err := readImport(writeCSV(t, "email\na@example.com\nb@example.com\n"), rules)
	if err == nil || !strings.Contains(err.Error(), "no last_day column, and 2 rows (lines 2, 3)") {
		t.Fatalf("voluntary without a last_day column: %v", err)
	}
}

// A day is past in the company's zone when the config gives one, and in
// the row's own zone when it says.
func TestImportRules_PastInTheRightZone(t *testing.T) {
	late := importRules{now: time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC), maxFuture: 730 * 24 * time.Hour}
	// Without a zone, 2026-12-07 is still today somewhere.
	if p := late.checkDay("2026-12-07", offboard.Voluntary, nil, ""); p != "" {
		t.Errorf("no zone: %s", p)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if p := late.checkDay("2026-12-07", offboard.Voluntary, tokyo, "Asia/Tokyo"); !strings.Contains(p, "today is 2026-12-08 in Asia/Tokyo") {
		t.Errorf("Tokyo: %q", p)
	}
	if p := late.checkDay("2026-01-01", offboard.Involuntary, tokyo, "Asia/Tokyo"); p != "" {
		t.Errorf("an involuntary exit may be recorded late: %s", p)
	}
}

func TestDateAdvice(t *testing.T) {
	for in, want := range map[string]string{
		"31/12/2026": "write 2026-12-31",
		"12/31/2026": "write 2026-12-31",
		"31.12.2026": "write 2026-12-31",
		"01/02/2026": "write 2026-02-01 (day first) or 2026-01-02 (month first)",
		"2026/12/31": "write 2026-12-31",
		"soon":       "such as 2026-12-31",
		"31/02/2026": "such as 2026-12-31",
	} {
		if got := dateAdvice(in); !strings.Contains(got, want) || !strings.Contains(got, "YYYY-MM-DD") {
			t.Errorf("dateAdvice(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProgress_Add(t *testing.T) {
	now := importNow
	clock := func() time.Time { return now }
	var tty bytes.Buffer
	p := newProgress(&tty, true, 100, clock)
	for range 50 {
		now = now.Add(100 * time.Millisecond) // 10 rows a second
		p.add()
	}
	if s := tty.String(); !strings.HasSuffix(s, "\r[###############---------------] 50/100  50%  10 rows/s  ETA 5s ") {
		t.Fatalf("bar = %q", s)
	}
	var plain bytes.Buffer
	p = newProgress(&plain, false, 100, clock)
	for range 100 {
		now = now.Add(20 * time.Millisecond)
		p.add()
	}
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	if len(lines) != 10 || strings.Contains(plain.String(), "\r") || !strings.Contains(lines[4], "50/100 rows sent (50%), 50 rows/s, about 1s left") {
		t.Fatalf("plain = %q", plain.String())
	}
}

func TestListenURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		":9090":          "http://127.0.0.1:9090",
		"[::]:8080":      "http://[::1]:8080",
		"10.1.2.3:80":    "http://10.1.2.3:80",
	} {
		if got, err := listenURL(in); err != nil || got != want {
			t.Errorf("listenURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := listenURL("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "--url") {
		t.Errorf("port 0: %v", err)
	}
}
