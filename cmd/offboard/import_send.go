package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// importOutcome is what became of one row.
type importOutcome string

const (
	importOpened      importOutcome = "opened"
	importAlreadyOpen importOutcome = "already open"
	importFailed      importOutcome = "failed"
)

// importResult is one row's answer: which case it became, or why none.
type importResult struct {
	row     importRow
	outcome importOutcome
	caseID  string
	message string // why it failed
	unknown bool   // no directory knows the email
}

// sendImport opens a case for every row through the REST API, parallel
// requests at a time, and calls done as each row is answered (from
// several goroutines, one at a time). Results are in row order.
func sendImport(ctx context.Context, client *http.Client, base, token string, rows []importRow, parallel int, done func(importResult)) []importResult {
	results := make([]importResult, len(rows))
	var mu sync.Mutex
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i, row := range rows {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res := postCase(ctx, client, base, token, row)
			results[i] = res
			mu.Lock()
			defer mu.Unlock()
			if done != nil {
				done(res)
			}
		})
	}
	wg.Wait()
	return results
}

// postCase sends one row as POST /api/v1/cases; the Idempotency-Key makes
// a second run of the same file open nothing twice.
func postCase(ctx context.Context, client *http.Client, base, token string, row importRow) importResult {
	res := importResult{row: row, outcome: importFailed}
	b, err := json.Marshal(row.body)
	if err != nil {
		res.message = err.Error()
		return res
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/cases", bytes.NewReader(b))
	if err != nil {
		res.message = err.Error()
		return res
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", row.key)
	resp, err := client.Do(req)
	if err != nil {
		res.message = err.Error()
		return res
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
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		res.message = out.Error.Message
		if res.message == "" {
			res.message = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		res.unknown = resp.StatusCode == http.StatusUnprocessableEntity && strings.Contains(res.message, "confirm_unknown")
		if res.unknown {
			// The API's advice names its JSON field; here the flag is the
			// way on.
			res.message = strings.Replace(res.message, `send "confirm_unknown": true`, "run again with --confirm-unknown", 1)
		}
		return res
	}
	// A 2xx counts only when it shows this person's case: an answer from
	// something else at --url must not pass for an import.
	switch {
	case out.Case == nil || out.Case.ID == "":
		res.message = fmt.Sprintf("HTTP %d without a case in the answer; is --url an offboard?", resp.StatusCode)
	case !strings.EqualFold(out.Case.Employee.Email, row.email):
		res.message = fmt.Sprintf("the answer shows %s for %s, another person", out.Case.ID, out.Case.Employee.Email)
	case resp.StatusCode == http.StatusOK && !out.Duplicate:
		res.message = fmt.Sprintf("HTTP 200 for %s without saying it was already open", out.Case.ID)
	case resp.StatusCode == http.StatusOK:
		res.outcome, res.caseID = importAlreadyOpen, out.Case.ID
	default:
		res.outcome, res.caseID = importOpened, out.Case.ID
	}
	return res
}
