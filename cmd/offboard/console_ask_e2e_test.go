package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
)

// consoleUser is one browser on the console: a cookie jar, the session's
// CSRF token, and posts that say where they come from, as browsers do.
type consoleUser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newConsoleUser(t *testing.T, base, as string) *consoleUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &consoleUser{t: t, base: base, c: &http.Client{Jar: jar}}
	page := u.get("/console")
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the console page:\n%.400s", page)
	}
	u.csrf = html.UnescapeString(m[1])
	u.post("/console/as", url.Values{"as": {as}})
	return u
}

func (u *consoleUser) get(path string) string {
	u.t.Helper()
	resp, err := u.c.Get(u.base + path)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		u.t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	return string(b)
}

// post sends a form and returns the page it redirects to.
func (u *consoleUser) post(path string, form url.Values) string {
	u.t.Helper()
	form.Set("csrf", u.csrf)
	req, _ := http.NewRequest("POST", u.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.base)
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		u.t.Fatalf("POST %s = %d\n%.300s", path, resp.StatusCode, b)
	}
	return string(b)
}

func (u *consoleUser) ask(text string) string {
	u.t.Helper()
	return html.UnescapeString(u.post("/console/say", url.Values{"text": {text}}))
}

const voluntaryJane = `{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"2026-12-31"}`

const voluntaryAlex = `{"employee":{"email":"alex.kim@example.com","name":"Alex Kim","manager_email":"max.boss@example.com"},"kind":"voluntary","last_day":"2026-12-18"}`

// A question typed in the console is answered by the configured model,
// scoped to the person the console acts as: the model's tool sees Alex's
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
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`console:
  enabled: true
assistant:
  base_url: %q
  model: e2e-model
  timeout: 5s
`, model.URL))
	app := startApp(t, cfg, wireOptions{})
	for _, body := range []string{voluntaryJane, voluntaryAlex} {
		if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
	}

	hr := newConsoleUser(t, app.url, "hana.hr@example.com")
	if page := hr.ask("where is Alex's offboarding?"); !strings.Contains(page, "Model answer #1") {
		t.Fatalf("HR's answer is not the model's:\n%s", consoleText(page))
	}
	if len(seen) != 1 || !strings.Contains(seen[0], `"email":"alex.kim@example.com"`) {
		t.Fatalf("the tool result for HR lacks Alex's case: %v", seen)
	}

	mona := newConsoleUser(t, app.url, "mona.manager@example.com")
	if page := mona.ask("where is Alex's offboarding?"); !strings.Contains(page, "Model answer #2") {
		t.Fatalf("Mona's answer is not the model's:\n%s", consoleText(page))
	}
	if len(seen) != 2 || strings.Contains(seen[1], "alex.kim") {
		t.Fatalf("the tool showed Mona a case of someone she does not manage: %s", seen[1])
	}
}

// Without a model the rules answer in the console, with the same scope.
func TestConsole_QuestionAnsweredByTheRules(t *testing.T) {
	app := startApp(t, writeConfig(t, t.TempDir(), "console:\n  enabled: true\n"), wireOptions{})
	for _, body := range []string{voluntaryJane, voluntaryAlex} {
		if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
	}
	hr := newConsoleUser(t, app.url, "hana.hr@example.com")
	if page := hr.ask("what's left on Alex's offboarding?"); !strings.Contains(page, "OFF-0002") || !strings.Contains(page, "Alex Kim") {
		t.Fatalf("HR's answer does not name Alex's case:\n%s", consoleText(page))
	}
	mona := newConsoleUser(t, app.url, "mona.manager@example.com")
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
