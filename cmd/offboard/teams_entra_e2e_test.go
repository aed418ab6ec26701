package main

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/teams/teamstest"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// Through serve with Teams and Entra ID: a sender whom Teams' roster
// gives no email is named by Entra ID from the activity's object id, so
// roles.security, which lists that object id, lets him see the case.
func TestServe_TeamsSenderNamedByEntra(t *testing.T) {
	const omarID = "3c9e1f2a-7b4d-4e8f-9a1c-2d3e4f5a6b7c"
	graph := graphtest.New(t)
	graph.AddUser(graphtest.User{ID: omarID, UserPrincipalName: "omar@example.onmicrosoft.com", Mail: "omar.sec@example.com",
		DisplayName: "Omar Security", AccountEnabled: true})
	// Jane is in the tenant: Entra is also the directory, and once serve's
	// first read of it has run, an email it does not know is refused.
	graph.AddUser(graphtest.User{UserPrincipalName: "jane.doe@example.com", Mail: "jane.doe@example.com",
		DisplayName: "Jane Doe", AccountEnabled: true})
	omar := teamstest.Member{ID: "29:omar", AADObjectID: omarID, Name: "Omar"}
	w := &teamsWorld{t: t, issuer: teamstest.NewIssuer(t), login: teamstest.NewLogin(t), conn: teamstest.NewConnector(t)}
	for _, m := range []teamstest.Member{tmHana, tmJane, omar} {
		w.conn.AddMember(m)
	}
	path := writeConfig(t, t.TempDir(), w.teamsYAML()+entraSecretYAML(graph.URL))
	writeFile(t, path, strings.Replace(readFile(t, path), "  admin: [ada.admin@example.com]\n",
		"  admin: [ada.admin@example.com]\n  security: [\""+omarID+"\"]\n", 1))
	w.app = startApp(t, path, wireOptions{})

	lastDay := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	if r := call(t, "POST", w.app.url+"/api/v1/cases", hrToken, `{"employee":{"email":"jane.doe@example.com"},"kind":"voluntary","last_day":"`+lastDay+`"}`); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	w.send(omar, "a:omar", "personal", "", "list", nil)
	reply := w.conn.WaitFor(t, "the answer to Omar", func(a teamstest.Activity) bool { return a.ConversationID == "a:omar" })
	if !strings.Contains(reply.Text+reply.CardText(), "OFF-0001") {
		t.Fatalf("Omar (security by object id, named by Entra ID) does not see the case: %q", reply.Text+reply.CardText())
	}
}
