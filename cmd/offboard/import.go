package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// importColumns are the columns a layoff CSV may have; email is required.
var importColumns = []string{"email", "name", "manager_email", "kind", "last_day", "time_zone", "effective_at", "notes", "title", "department"}

func cmdCasesImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlags("cases import [flags] layoff.csv", "Open a case for every row of a CSV file (a mass layoff) through the REST API\n"+
		"of a running offboard. The first row names the columns: "+strings.Join(importColumns, ", ")+"\n"+
		"(email required; kind defaults to --kind). Re-running the same file opens nothing twice.", stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of the running offboard")
	tokenFile := fs.String("token-file", "", "file holding an API token with the hr role (or set OFFBOARD_API_TOKEN)")
	kind := fs.String("kind", "involuntary", "departure kind for rows that do not say")
	parallel := fs.Int("parallel", 16, "requests in flight")
	confirmUnknown := fs.Bool("confirm-unknown", false, "open cases for emails no directory (Okta, BambooHR) knows; without it such rows\n"+
		"fail with the nearest known email, so a typo opens nothing")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: say which file: offboard cases import layoff.csv", errUsage)
	}
	token := os.Getenv("OFFBOARD_API_TOKEN")
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return fmt.Errorf("%w: an API token is needed: --token-file or OFFBOARD_API_TOKEN", errUsage)
	}
	rows, err := readImport(fs.Arg(0), *kind)
	if err != nil {
		return err
	}
	// One file is one batch: chat announces it once per department.
	batch := fmt.Sprintf("import:%s", time.Now().UTC().Format("20060102T150405.000Z"))
	for _, row := range rows {
		row.body["batch"] = batch
		if *confirmUnknown {
			row.body["confirm_unknown"] = true
		}
	}
	fmt.Fprintf(stderr, "importing %d people from %s\n", len(rows), fs.Arg(0))
	client := &http.Client{Timeout: 30 * time.Second}
	var opened, existing, failed, unknown atomic.Int32
	var mu sync.Mutex
	var failures []string
	sem := make(chan struct{}, max(*parallel, 1))
	var wg sync.WaitGroup
	for _, row := range rows {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			status, msg, err := postCase(ctx, client, *url, token, row)
			switch {
			case err == nil && status == http.StatusCreated:
				opened.Add(1)
			case err == nil && status == http.StatusOK:
				existing.Add(1)
			default:
				if err == nil && msg == "" {
					msg = fmt.Sprintf("HTTP %d", status)
				}
				failed.Add(1)
				if status == http.StatusUnprocessableEntity && strings.Contains(msg, "confirm_unknown") {
					unknown.Add(1)
				}
				if err != nil {
					msg = err.Error()
				}
				mu.Lock()
				failures = append(failures, fmt.Sprintf("line %d (%s): %s", row.line, row.body["employee"].(map[string]string)["email"], msg))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(failures)
	for _, f := range failures {
		fmt.Fprintln(stderr, f)
	}
	if n := unknown.Load(); n > 0 {
		fmt.Fprintf(stderr, "%d rows name people no directory knows: fix the emails, or run again with --confirm-unknown if they are right\n", n)
	}
	fmt.Fprintf(stdout, "%d opened, %d already open, %d failed\n", opened.Load(), existing.Load(), failed.Load())
	if failed.Load() > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d rows failed", failed.Load())}
	}
	return nil
}

type importRow struct {
	line int
	key  string
	body map[string]any
}

// readImport reads and checks the whole file before anything is sent, so
// a typo in row 900 does not leave a half-done import.
func readImport(path, defaultKind string) ([]importRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: no header row: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(importColumns, h) {
			return nil, fmt.Errorf("%s: unknown column %q; known: %s", path, h, strings.Join(importColumns, ", "))
		}
		col[h] = i
	}
	if _, ok := col["email"]; !ok {
		return nil, fmt.Errorf("%s: the header has no email column", path)
	}
	var rows []importRow
	var problems []string
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		email := strings.ToLower(get("email"))
		if email == "" || !strings.Contains(email, "@") {
			problems = append(problems, fmt.Sprintf("line %d: %q is not an email", line, get("email")))
			continue
		}
		if prev, dup := seen[email]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %s is also on line %d", line, email, prev))
			continue
		}
		seen[email] = line
		k := get("kind")
		if k == "" {
			k = defaultKind
		}
		emp := map[string]string{"email": email, "name": get("name"), "manager_email": get("manager_email"),
			"time_zone": get("time_zone"), "title": get("title"), "department": get("department")}
		body := map[string]any{"employee": emp, "kind": k, "last_day": get("last_day"), "notes": get("notes")}
		if eff := get("effective_at"); eff != "" {
			body["effective_at"] = eff
		}
		rows = append(rows, importRow{line: line, key: "import:" + email + ":" + get("last_day"), body: body})
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: nothing imported:\n  %s", path, strings.Join(problems, "\n  "))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: nothing imported: the file has a header but no rows", path)
	}
	return rows, nil
}

func postCase(ctx context.Context, client *http.Client, base, token string, row importRow) (int, string, error) {
	b, err := json.Marshal(row.body)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/cases", bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", row.key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct {
		Error struct{ Message string } `json:"error"`
		Case  *struct {
			ID       string `json:"id"`
			Employee struct {
				Email string `json:"email"`
			} `json:"employee"`
		} `json:"case"`
		Duplicate bool `json:"duplicate"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = json.Unmarshal(raw, &out)
	// A 2xx counts only when it shows this person's case: an answer from
	// something else at --url must not pass for an import.
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		email := row.body["employee"].(map[string]string)["email"]
		switch {
		case out.Case == nil || out.Case.ID == "":
			return 0, fmt.Sprintf("HTTP %d without a case in the answer; is --url an offboard?", resp.StatusCode), nil
		case !strings.EqualFold(out.Case.Employee.Email, email):
			return 0, fmt.Sprintf("the answer shows %s for %s, another person", out.Case.ID, out.Case.Employee.Email), nil
		case resp.StatusCode == http.StatusOK && !out.Duplicate:
			return 0, fmt.Sprintf("HTTP 200 for %s without saying it was already open", out.Case.ID), nil
		}
	}
	return resp.StatusCode, out.Error.Message, nil
}
