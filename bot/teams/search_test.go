package teams_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// postRead sends an activity with a valid channel token and returns the
// HTTP answer, which for an invoke is the bot's response.
func (w *world) postRead(act map[string]any) (int, []byte) {
	w.t.Helper()
	body, _ := json.Marshal(act)
	req, _ := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.issuer.Sign(teamstest.KeyTeams, teamstest.Claims(teamstest.AppID, w.conn.URL())))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// The open-case form's person fields are Teams' dynamic typeahead; HR's
// typing is answered from the directory with names and emails; someone
// who may not open cases, or a dataset that is not ours, is refused.
func TestPlatform_SearchInvoke(t *testing.T) {
	w := newWorld(t)
	form := teams.RenderForm(bot.OpenCaseForm(""), nil, nil)
	js, _ := json.Marshal(form)
	for _, want := range []string{`"id":"employee"`, `"choices.data":{"dataset":"` + teams.PeopleDataset + `","type":"Data.Query"}`,
		`"style":"filtered"`, `"id":"manager_email"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the open-case form lacks %s", want)
		}
	}

	code, body := w.postRead(w.conn.SearchInvoke(hana, "a:hana", teams.PeopleDataset, "mon"))
	res, err := teamstest.ParseSearchResponse(body)
	if code != http.StatusOK || err != nil || len(res.Results) != 1 ||
		res.Results[0] != (teamstest.SearchResult{Title: "Mona Manager (mona.manager@example.com)", Value: mona.Email}) {
		t.Fatalf("HR's search: %d %+v %v (%s)", code, res, err, body)
	}

	code, body = w.postRead(w.conn.SearchInvoke(ivan, "a:ivan", teams.PeopleDataset, "mon"))
	res, err = teamstest.ParseSearchResponse(body)
	if code != http.StatusForbidden || err != nil || res.Type != "application/vnd.microsoft.error" || len(res.Results) != 0 ||
		!strings.Contains(res.Message, "HR") {
		t.Fatalf("IT's search: %d %+v %v", code, res, err)
	}

	code, body = w.postRead(w.conn.SearchInvoke(hana, "a:hana", "somebody.else", "mon"))
	if res, err := teamstest.ParseSearchResponse(body); code != http.StatusBadRequest || err != nil || res.Code == "" {
		t.Fatalf("another dataset: %d %+v %v", code, res, err)
	}

	// Unsigned, it is refused before anything is read.
	act := w.conn.SearchInvoke(hana, "a:hana", teams.PeopleDataset, "mon")
	if code := w.postAuth(act, ""); code != http.StatusUnauthorized {
		t.Fatalf("an unsigned search: %d", code)
	}
}
