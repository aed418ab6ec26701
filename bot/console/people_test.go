package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/console"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

// newPeopleHarness is the console with a directory behind its pickers.
func newPeopleHarness(t *testing.T) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir := offboard.NewDirectory("okta")
	dir.Set("okta", []offboard.Person{
		{Email: "mona.manager@example.com", Name: "Mona Manager", TimeZone: "Europe/Berlin"},
		{Email: "jane.doe@example.com", Name: "Jane Doe", ManagerEmail: "mona.manager@example.com"},
	}, time.Now())
	engine := flowstest.New(t, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: db, Roles: rolesOf})
	router, err := bot.New(bot.Options{Engine: engine, Roles: rolesOf, People: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := console.New(console.Options{Router: router, Engine: engine, People: people})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() { c.Close(); srv.Close() })
	return &harness{t: t, db: db, engine: engine, console: c, srv: srv}
}

func (b *browser) search(q, token string) (int, []map[string]string) {
	b.h.t.Helper()
	req, _ := http.NewRequest("GET", b.h.srv.URL+"/console/people?q="+url.QueryEscape(q), nil)
	if token != "" {
		req.Header.Set("X-CSRF-Token", token)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		People []map[string]string `json:"people"`
	}
	_ = json.Unmarshal(body, &out)
	return resp.StatusCode, out.People
}

// HR's picker finds people by name (name and email only), with the page's
// token; a request without it, or by someone who may not open cases, is
// refused; a flood is slowed.
func TestConsole_PeopleSearch(t *testing.T) {
	h := newPeopleHarness(t)
	b := h.browser()
	body := b.actAs("hana.hr@example.com")
	b.post("/console/say", url.Values{"text": {"/offboard"}}, nil)
	_, body = b.get("/console")
	if !strings.Contains(body, `list="people-employee" data-people`) || !strings.Contains(body, `list="people-manager" data-people`) {
		t.Fatalf("the open-case form has no person pickers:\n%.3000s", body)
	}
	code, found := b.search("mona", b.csrf)
	if code != 200 || len(found) != 1 || found[0]["email"] != "mona.manager@example.com" || found[0]["name"] != "Mona Manager" || len(found[0]) != 2 {
		t.Fatalf("HR's search: %d %v", code, found)
	}
	if code, _ := b.search("mona", ""); code != http.StatusForbidden {
		t.Errorf("without the page's token: %d", code)
	}
	if code, _ := b.search("mona", strings.Repeat("ab", 32)); code != http.StatusForbidden {
		t.Errorf("with another token: %d", code)
	}
	fin := h.browser()
	fin.actAs("fiona.finance@example.com")
	if code, found := fin.search("mona", fin.csrf); code != http.StatusForbidden || len(found) != 0 {
		t.Errorf("Finance's search: %d %v", code, found)
	}
	slowed := false
	for range 30 {
		if code, _ := b.search("jane", b.csrf); code == http.StatusTooManyRequests {
			slowed = true
			break
		}
	}
	if !slowed {
		t.Error("30 searches at once were all answered")
	}
}
