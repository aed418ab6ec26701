package main

import (
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// waitForDirectory waits until serve has read the directory (it does so
// just after start), so the check is on before the test types anything.
func waitForDirectory(t testing.TB, app *liveApp) {
	t.Helper()
	eventually(t, "the directory read from the demo Okta", func() bool { return app.app.directory.Len() > 0 })
}

var buttonRe = regexp.MustCompile(`name="value" value="([^"]+)">\s*<button type="submit" class="btn[^"]*">([^<]+)</button>`)

// buttons maps the labels of a console page's buttons to their values.
func buttons(page string) map[string]string {
	out := map[string]string{}
	for _, m := range buttonRe.FindAllStringSubmatch(page, -1) {
		out[html.UnescapeString(m[2])] = html.UnescapeString(m[1])
	}
	return out
}

// The README's quick start with the typo of issue 12, through the real
// serve wiring in demo mode: the console refuses it with the suggestion,
// the suggestion's button opens the real Jane's case, and the REST API
// answers 422.
func TestServe_DemoRefusesUnknownEmail(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, "demo: true\nconsole:\n  enabled: true\n"), wireOptions{})
	waitForDirectory(t, app)

	hana := newConsoleUser(t, app.url, "hana.hr@example.com")
	page := hana.ask("/offboard jane.doe@exmaple.com involuntary")
	if !strings.Contains(page, "No one with the email jane.doe@exmaple.com in Okta; did you mean jane.doe@example.com?") {
		t.Fatalf("the typo was not refused with the suggestion:\n%.3000s", page)
	}
	b := buttons(page)
	if b["Open the case anyway"] == "" || b["Use jane.doe@example.com"] == "" {
		t.Fatalf("buttons on the refusal: %v", b)
	}
	if r := call(t, "GET", app.url+"/api/v1/cases?email=jane.doe@exmaple.com", hrToken, ""); !strings.Contains(string(r.body), `"cases":[]`) {
		t.Fatalf("the typo opened a case: %s", r.body)
	}

	// Ivan (IT) may not open cases: the button gains him nothing.
	ivan := newConsoleUser(t, app.url, "ivan.it@example.com")
	if page := html.UnescapeString(ivan.post("/console/click", url.Values{"value": {b["Open the case anyway"]}})); !strings.Contains(page, "Only HR and admins") {
		t.Fatalf("IT clicking open anyway:\n%.2000s", page)
	}

	// The suggestion's button opens the real Jane's case and goes to its
	// room.
	page = html.UnescapeString(hana.post("/console/click", url.Values{"value": {b["Use jane.doe@example.com"]}}))
	if !strings.Contains(page, "OFF-0001 opened for Jane Doe") || !strings.Contains(page, `name="room" value="OFF-0001"`) {
		t.Fatalf("after the suggestion was clicked:\n%.3000s", page)
	}
	r := call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "")
	if r.status != 200 {
		t.Fatalf("no case after the suggestion was clicked: %d %s", r.status, r.body)
	}
	if v := r.view(t); v.Case.Employee.Email != "jane.doe@example.com" || v.Case.Employee.Name != "Jane Doe" ||
		v.Case.Employee.ManagerEmail != "mona.manager@example.com" {
		t.Fatalf("case = %+v", v.Case.Employee)
	}

	r = call(t, "POST", app.url+"/api/v1/cases", hrToken,
		`{"employee":{"email":"alex.kim@exmaple.com"},"kind":"involuntary"}`)
	if r.status != 422 || !strings.Contains(string(r.body), `"suggestion":"alex.kim@example.com"`) {
		t.Fatalf("REST typo = %d %s", r.status, r.body)
	}
	r = call(t, "POST", app.url+"/api/v1/cases", hrToken,
		`{"employee":{"email":"alex.kim@exmaple.com"},"kind":"involuntary","confirm_unknown":true}`)
	if r.status != 201 {
		t.Fatalf("REST confirmed = %d %s", r.status, r.body)
	}
}

// cases import refuses rows no directory knows, says how to go on, and
// opens them with --confirm-unknown.
func TestCasesImport_ConfirmUnknown(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, "demo: true\n"), wireOptions{})
	waitForDirectory(t, app)
	csvPath := filepath.Join(dir, "layoff.csv")
	os.WriteFile(csvPath, []byte("email,kind\nalex.kim@example.com,involuntary\nsam.rivera@exmaple.com,involuntary\n"), 0o600)
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(hrToken+"\n"), 0o600)

	code, out, errOut := runCLI("cases", "import", csvPath, "--url", app.url, "--token-file", tokenFile)
	if code != 1 || !strings.Contains(out, "1 opened, 0 already open, 1 failed") ||
		!strings.Contains(errOut, "line 3 (sam.rivera@exmaple.com)") || !strings.Contains(errOut, "did you mean sam.rivera@example.com?") ||
		!strings.Contains(errOut, "--confirm-unknown") || strings.Contains(errOut, `"confirm_unknown"`) {
		t.Fatalf("import with a typo: %d %q %q (the advice is the flag, not the API's field)", code, out, errOut)
	}
	code, out, errOut = runCLI("cases", "import", csvPath, "--url", app.url, "--token-file", tokenFile, "--confirm-unknown")
	if code != 0 || !strings.Contains(out, "1 opened, 1 already open, 0 failed") {
		t.Fatalf("import --confirm-unknown: %d %q %q", code, out, errOut)
	}
}

var slackOpenValueRe = regexp.MustCompile(`"value":"(open\|[^"]*)"`)

// slackOpenButtons finds the open-case buttons in a Slack ack by what
// they do: the one that confirms, and the one that uses a suggestion.
func slackOpenButtons(t *testing.T, ack string) (anyway, use string) {
	t.Helper()
	for _, m := range slackOpenValueRe.FindAllStringSubmatch(ack, -1) {
		v, err := strconv.Unquote(`"` + m[1] + `"`)
		if err != nil {
			t.Fatalf("button value %q: %v", m[1], err)
		}
		if strings.Contains(v, "confirm_unknown=1") {
			anyway = v
		} else {
			use = v
		}
	}
	if anyway == "" || use == "" {
		t.Fatalf("the refusal lacks its buttons: %s", ack)
	}
	return anyway, use
}

// In Slack: the typo is refused to HR alone with both buttons; a click
// by Finance is refused; HR's click on the suggestion opens the real
// Jane's case. The directory here is the Slack workspace itself.
func TestSlack_UnknownEmailButtons(t *testing.T) {
	w := newSlackWorld(t)
	eventually(t, "the directory read from Slack", func() bool { return w.app.app.directory.Len() > 0 })

	ack := string(w.slash(uHR, "jane.doe@exmaple.com involuntary"))
	if !strings.Contains(ack, "ephemeral") || !strings.Contains(ack, "in Slack; did you mean jane.doe@example.com?") {
		t.Fatalf("typo ack = %s", ack)
	}
	anyway, use := slackOpenButtons(t, ack)
	if r := call(t, "GET", w.app.url+"/api/v1/cases?email=jane.doe@exmaple.com", hrToken, ""); !strings.Contains(string(r.body), `"cases":[]`) {
		t.Fatalf("the typo opened a case: %s", r.body)
	}

	w.click(uFinance, anyway, "finance")
	if got := w.hooks.wait(t, "finance"); !strings.Contains(got, "Only HR and admins") {
		t.Fatalf("finance's click answered %q", got)
	}
	w.click(uHR, use, "hana")
	if got := w.hooks.wait(t, "hana"); !strings.Contains(got, "OFF-0001 opened for Jane Doe") {
		t.Fatalf("HR's click answered %q", got)
	}
	if v := w.view("OFF-0001"); v.Case.Employee.Email != "jane.doe@example.com" || v.Case.Kind != offboard.Involuntary {
		t.Fatalf("case = %+v", v.Case)
	}
}

var teamsOpenValueRe = regexp.MustCompile(`"ofb_click":"(open\|[^"]*)"`)

// In Teams: once the team's members are read (after Teams has told the
// bot where its connector is), a typo is refused with the suggestion and
// the buttons; HR's "Open the case anyway" opens it.
func TestTeams_UnknownEmailButtons(t *testing.T) {
	w := newTeamsWorld(t)
	const hanaChat = "a:hana"
	w.send(tmHana, hanaChat, "personal", "", "help", nil)
	w.conn.WaitFor(t, "the help answer", func(a teamstest.Activity) bool {
		return a.ConversationID == hanaChat && strings.Contains(a.Text, "How to use offboard")
	})
	// The hourly read, now: the service URL is known.
	w.app.app.refreshDirectory(t.Context())
	if n := w.app.app.directory.Len(); n != 5 {
		t.Fatalf("directory from the team: %d people, want 5", n)
	}

	w.send(tmHana, hanaChat, "personal", "", "offboard mona.manger@example.com involuntary", nil)
	refusal := w.conn.WaitFor(t, "the refusal", func(a teamstest.Activity) bool {
		return a.ConversationID == hanaChat && strings.Contains(a.Text+a.CardText(), "did you mean mona.manager@example.com?")
	})
	var anyway string
	for _, m := range teamsOpenValueRe.FindAllStringSubmatch(refusal.CardText(), -1) {
		v, err := strconv.Unquote(`"` + m[1] + `"`)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(v, "confirm_unknown=1") {
			anyway = v
		}
	}
	if anyway == "" {
		t.Fatalf("no open-anyway button: %s", refusal.CardText())
	}
	if views, _ := w.app.app.engine.FindCases(t.Context(), offboard.System("test"), "mona.manger@example.com"); len(views) != 0 {
		t.Fatal("the typo opened a case")
	}
	w.send(tmHana, hanaChat, "personal", refusal.ID, "", map[string]any{"ofb_click": anyway})
	eventually(t, "the confirmed case", func() bool {
		views, _ := w.app.app.engine.FindCases(t.Context(), offboard.System("test"), "mona.manger@example.com")
		return len(views) == 1 && views[0].Case.Kind == offboard.Involuntary
	})
}

// newConsoleUser is a browser on a demo console acting as a configured
// person (demo mode's *acting as*; outside demo, people sign in).
func newConsoleUser(t *testing.T, base, as string) *person {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &person{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	if code, page := p.get("/console"); code != 200 || p.csrf == "" {
		t.Fatalf("GET /console = %d, no CSRF token:\n%.400s", code, page)
	}
	p.post("/console/as", url.Values{"as": {as}})
	return p
}

// post sends a form and returns the page it redirects to.
func (p *person) post(path string, form url.Values) string {
	p.t.Helper()
	code, page := p.do("POST", path, form)
	if code != 200 {
		p.t.Fatalf("POST %s = %d\n%.300s", path, code, page)
	}
	return page
}
