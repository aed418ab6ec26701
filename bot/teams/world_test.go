package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

// People of the fake tenant.
var (
	hana  = teamstest.Member{ID: "29:hana", AADObjectID: "aad-hana", Email: "hana.hr@example.com", Name: "Hana HR"}
	ivan  = teamstest.Member{ID: "29:ivan", AADObjectID: "aad-ivan", Email: "ivan.it@example.com", Name: "Ivan IT"}
	mona  = teamstest.Member{ID: "29:mona", AADObjectID: "aad-mona", Email: "mona.manager@example.com", Name: "Mona Manager"}
	fiona = teamstest.Member{ID: "29:fiona", AADObjectID: "aad-fiona", Email: "fiona.finance@example.com", Name: "Fiona Finance"}
)

// world is the real platform behind an HTTP server, against the fake Bot
// Framework.
type world struct {
	t      testing.TB
	issuer *teamstest.Issuer
	login  *teamstest.Login
	conn   *teamstest.Connector
	eng    flowstest.Engine
	p      *teams.Platform
	url    string
	seq    atomic.Int64
}

func newWorld(t *testing.T) *world { return newBenchWorld(t) }

func newBenchWorld(t testing.TB, mutate ...func(*teams.Options)) *world {
	t.Helper()
	w := &world{t: t, issuer: teamstest.NewIssuer(t), login: teamstest.NewLogin(t), conn: teamstest.NewConnector(t)}
	for _, m := range []teamstest.Member{hana, ivan, mona, fiona} {
		w.conn.AddMember(m)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Omar is HR by the email only Entra ID knows (see entra_test.go).
	roles := map[string][]offboard.Role{hana.Email: {offboard.RoleHR}, ivan.Email: {offboard.RoleIT}, fiona.Email: {offboard.RoleFinance},
		omarEmail: {offboard.RoleHR}}
	w.eng = flowstest.New(t, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: db, Location: time.UTC, Roles: func(e string) []offboard.Role { return roles[e] }})
	// The directory behind the person pickers' typeahead (search_test.go).
	dir := offboard.NewDirectory("entra")
	dir.Set("entra", []offboard.Person{{Email: mona.Email, Name: mona.Name}, {Email: ivan.Email, Name: ivan.Name},
		{Email: "jane.doe@example.com", Name: "Jane Doe", ManagerEmail: mona.Email}}, time.Now())
	router, err := bot.New(bot.Options{Engine: w.eng, Roles: func(e string) []offboard.Role { return roles[e] }, People: dir})
	if err != nil {
		t.Fatal(err)
	}
	o := teams.Options{AppID: teamstest.AppID, AppPassword: teamstest.AppPassword, TenantID: teamstest.TenantID,
		OpenIDMetadataURL: w.issuer.MetadataURL(), LoginURL: w.login.URL(), ServiceURL: w.conn.URL(),
		OffboardingChannelID: teamstest.ChannelID, Router: router, Engine: w.eng}
	for _, m := range mutate {
		m(&o)
	}
	w.p, err = teams.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.p)
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/api/messages"
	return w
}

// activity is a message from m in conversation conv ("personal" or
// "channel").
func (w *world) activity(m teamstest.Member, conv, convType string) map[string]any {
	return map[string]any{
		"type": "message", "id": fmt.Sprintf("in-%d", w.seq.Add(1)), "channelId": "msteams", "serviceUrl": w.conn.URL(),
		"timestamp": time.Now().UTC().Format(time.RFC3339),
		"from":      map[string]any{"id": m.ID, "name": m.Name, "aadObjectId": m.AADObjectID},
		"recipient": map[string]any{"id": "28:" + teamstest.AppID, "name": "offboard"},
		"conversation": map[string]any{"id": conv, "conversationType": convType, "tenantId": teamstest.TenantID,
			"isGroup": convType == "channel"},
		"channelData": map[string]any{"tenant": map[string]any{"id": teamstest.TenantID}},
	}
}

func (w *world) text(m teamstest.Member, conv, convType, text string) map[string]any {
	a := w.activity(m, conv, convType)
	a["text"] = text
	return a
}

// submit is an Action.Submit from the card replyTo in conv.
func (w *world) submit(m teamstest.Member, conv, convType, replyTo string, value map[string]any) map[string]any {
	a := w.activity(m, conv, convType)
	a["replyToId"] = replyTo
	a["value"] = value
	return a
}

// post sends an activity with a valid channel token.
func (w *world) post(act map[string]any) int {
	w.t.Helper()
	return w.postAuth(act, "Bearer "+w.issuer.Sign(teamstest.KeyTeams, teamstest.Claims(teamstest.AppID, w.conn.URL())))
}

func (w *world) postAuth(act map[string]any, auth string) int {
	w.t.Helper()
	body, err := json.Marshal(act)
	if err != nil {
		w.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d > 5*time.Second {
		w.t.Errorf("the bot took %s to answer an activity", d)
	}
	return resp.StatusCode
}

func (w *world) mustPost(act map[string]any) {
	w.t.Helper()
	if code := w.post(act); code != http.StatusOK {
		w.t.Fatalf("activity answered %d", code)
	}
}

func (w *world) view(id offboard.CaseID) *offboard.CaseView {
	w.t.Helper()
	v, err := w.eng.GetCase(context.Background(), offboard.System("test"), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

func (w *world) notify(n offboard.Notice) {
	w.t.Helper()
	if err := w.p.Notify(context.Background(), n); err != nil {
		w.t.Fatal(err)
	}
}

func has(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

type (
	flowsOpen = offboard.OpenCase
	flowsView = offboard.CaseView
)

// restart builds a second platform on the same engine, as after a
// restart: no service URL configured, nothing learned.
func (w *world) restart(t *testing.T) *teams.Platform {
	t.Helper()
	router, err := bot.New(bot.Options{Engine: w.eng})
	if err != nil {
		t.Fatal(err)
	}
	p, err := teams.New(teams.Options{AppID: teamstest.AppID, AppPassword: teamstest.AppPassword, TenantID: teamstest.TenantID,
		OpenIDMetadataURL: w.issuer.MetadataURL(), LoginURL: w.login.URL(),
		OffboardingChannelID: teamstest.ChannelID, Router: router, Engine: w.eng})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func completeTask(id offboard.CaseID, key string) offboard.CompleteTask {
	return offboard.CompleteTask{By: offboard.Actor{Kind: offboard.ActorPerson, Email: hana.Email}, CaseID: id, TaskKey: key}
}
