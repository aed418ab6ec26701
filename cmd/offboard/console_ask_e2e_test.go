package main

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
)

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// ask types text into the console's composer and returns the page shown
// after it.
func (p *person) ask(text string) string {
	p.t.Helper()
	if p.csrf == "" {
		p.get("/console")
	}
	code, page := p.do("POST", "/console/say", url.Values{"text": {text}})
	if code != 200 {
		p.t.Fatalf("POST /console/say = %d\n%.300s", code, page)
	}
	return html.UnescapeString(page)
}

const voluntaryJane = `{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"2026-12-31"}`

const voluntaryAlex = `{"employee":{"email":"alex.kim@example.com","name":"Alex Kim","manager_email":"max.boss@example.com"},"kind":"voluntary","last_day":"2026-12-18"}`

// A question typed in the console is answered by the configured model,
// scoped to the person signed in: the model's tool sees Alex's
// case for HR and nothing for Mona, who manages Jane, not Alex.
func TestConsole_QuestionAnsweredByTheModel(t *testing.T) {
	var seen []string
	model := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if res, ok := req.Result("f"); ok {
			seen = append(seen, res)
			return openaitest.Reply{Content: "Model answer #" + fmt.Sprint(len(seen))}
		}
		return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("f", "find_cases", `{"query":"alex.kim@example.com"}`)}}
	})
	app := startOIDCApp(t, fmt.Sprintf(`assistant:
  base_url: %q
  model: e2e-model
  timeout: 5s
`, model.URL))
	for _, body := range []string{voluntaryJane, voluntaryAlex} {
		if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
	}

	hr := app.signIn(t, "hana.hr@example.com")
	if page := hr.ask("where is Alex's offboarding?"); !strings.Contains(page, "Model answer #1") {
		t.Fatalf("HR's answer is not the model's:\n%s", consoleText(page))
	}
	if len(seen) != 1 || !strings.Contains(seen[0], `"email":"alex.kim@example.com"`) {
		t.Fatalf("the tool result for HR lacks Alex's case: %v", seen)
	}

	mona := app.signIn(t, "mona.manager@example.com")
	if page := mona.ask("where is Alex's offboarding?"); !strings.Contains(page, "Model answer #2") {
		t.Fatalf("Mona's answer is not the model's:\n%s", consoleText(page))
	}
	if len(seen) != 2 || strings.Contains(seen[1], "alex.kim") {
		t.Fatalf("the tool showed Mona a case of someone she does not manage: %s", seen[1])
	}
}

// Without a model the rules answer in the console, with the same scope.
func TestConsole_QuestionAnsweredByTheRules(t *testing.T) {
	app := startOIDCApp(t, "")
	for _, body := range []string{voluntaryJane, voluntaryAlex} {
		if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
	}
	hr := app.signIn(t, "hana.hr@example.com")
	if page := hr.ask("what's left on Alex's offboarding?"); !strings.Contains(page, "OFF-0002") || !strings.Contains(page, "Alex Kim") {
		t.Fatalf("HR's answer does not name Alex's case:\n%s", consoleText(page))
	}
	mona := app.signIn(t, "mona.manager@example.com")
	page := mona.ask("status alex.kim@example.com")
	if strings.Contains(consoleText(page), "OFF-0002") {
		t.Fatalf("Mona was shown Alex's case:\n%s", consoleText(page))
	}
	if !strings.Contains(page, "only visible to you") {
		t.Fatalf("Mona got no private answer:\n%s", consoleText(page))
	}
}

var tagRe = regexp.MustCompile(`<[^>]+>`)

// consoleText is a page without its markup, for failure messages.
func consoleText(page string) string {
	s := strings.Join(strings.Fields(tagRe.ReplaceAllString(page, " ")), " ")
	if len(s) > 1500 {
		s = s[len(s)-1500:]
	}
	return s
}
