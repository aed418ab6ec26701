package console_test

import (
	"bufio"
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// privateBlocks returns the private exchanges a page shows.
func privateBlocks(page string) []string {
	var out []string
	for _, part := range strings.Split(page, `<span class="tag private">`)[1:] {
		end := strings.Index(part, "</article>")
		if end < 0 {
			end = len(part)
		}
		out = append(out, part[:end])
	}
	return out
}

// A private answer belongs to the person who asked, not to the browser:
// HR asks about a confidential case, the same browser then acts as
// Finance, and Finance's page and live stream carry none of it; back as
// HR the answer is there again.
func TestConsole_PrivateRepliesBelongToAPerson(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Employee: offboard.Employee{Email: "jane.doe@example.com", Name: "Jane Doe"},
		Kind: offboard.Involuntary})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Case.Confidential {
		t.Fatal("an involuntary case is not confidential")
	}
	const question = "what's left on OFF-0001?"
	// As the page shows it (the console's own tips hold the question
	// unescaped, as an example).
	said := template.HTMLEscapeString(question)
	b := h.browser()
	b.actAs("hana.hr@example.com")
	_, hrPage := b.post("/console/say", url.Values{"text": {question}}, nil)
	hrPrivate := privateBlocks(hrPage)
	if len(hrPrivate) == 0 || !strings.Contains(hrPage, "Jane Doe") {
		t.Fatalf("HR got no private answer naming Jane:\n%.3000s", hrPage)
	}

	// The same browser acts as Finance now.
	b.actAs("fiona.finance@example.com")
	// Finance's live stream, opened in this browser, must not hear of the
	// confidential case either.
	req, _ := http.NewRequest("GET", h.srv.URL+"/console/events", nil)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if err := h.console.Notify(ctx, offboard.Notice{ID: "n-conf", Kind: offboard.NoticeTaskFailed, CaseID: res.Case.ID, Text: "Okta said no"}); err != nil {
		t.Fatal(err)
	}
	var stream []string
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			stream = append(stream, l)
		case <-time.After(500 * time.Millisecond):
			done = true
		}
	}
	foreign := 0
	for _, page := range []string{"/console", "/console/rooms/OFF-0001"} {
		_, body := b.get(page)
		for _, blk := range privateBlocks(body) {
			if strings.Contains(blk, said) || strings.Contains(blk, "Jane") {
				foreign++
			}
		}
		if strings.Contains(body, said) || strings.Contains(body, "Jane Doe") {
			foreign++
		}
	}
	for _, l := range stream {
		if strings.Contains(l, string(res.Case.ID)) || strings.Contains(l, "Jane") {
			foreign++
		}
	}
	t.Logf("%d foreign private messages", foreign)
	if foreign != 0 {
		t.Fatalf("Finance saw %d of HR's private messages or the confidential case (stream %q)", foreign, stream)
	}

	// Back as HR, the answer is HR's again.
	body := b.actAs("hana.hr@example.com")
	if !strings.Contains(body, said) {
		t.Fatalf("HR's own private answer is gone after switching back:\n%.3000s", body)
	}
}
