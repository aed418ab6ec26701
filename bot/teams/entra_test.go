package teams_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/bot/teams/teamstest"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// omarEmail is Omar's mail in Entra ID; Teams' roster gives him none.
const omarEmail = "omar.hr@example.com"

// entraOn is Entra ID on a fake Graph.
func entraOn(t *testing.T, s *graphtest.Server) *microsoft.Entra {
	t.Helper()
	c, err := microsoft.New(microsoft.Options{TenantID: graphtest.TenantID, ClientID: graphtest.ClientID,
		ClientSecret: graphtest.ClientSecret, GraphURL: s.URL, LoginURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	return microsoft.NewEntra(c, nil)
}

// listReply sends "list" as m in a personal chat and returns the answer.
func listReply(t *testing.T, w *world, m teamstest.Member, conv string) string {
	t.Helper()
	w.mustPost(w.text(m, conv, "personal", "list"))
	return w.conn.WaitFor(t, "the answer to list", func(a teamstest.Activity) bool { return a.ConversationID == conv }).Text
}

// A sender whom Teams' roster gives no email is named by Entra ID from
// the activity's object id: his roles (configured by that email) apply,
// and the platform knows his object id by it. Without Entra ID he is an
// unknown person; a disabled Entra account holds no roles.
func TestPlatform_ActorFromEntraObjectID(t *testing.T) {
	graph := graphtest.New(t)
	const omarID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	graph.AddUser(graphtest.User{ID: omarID, UserPrincipalName: "omar@example.onmicrosoft.com", Mail: "Omar.HR@example.com",
		DisplayName: "Omar Haddad", AccountEnabled: true})
	omar := teamstest.Member{ID: "29:omar", AADObjectID: omarID, Name: "Omar"}

	without := newWorld(t)
	without.conn.AddMember(omar)
	if _, err := without.eng.Apply(t.Context(), openJane()); err != nil {
		t.Fatal(err)
	}
	unknown := listReply(t, without, omar, "a:omar-1")
	if strings.Contains(unknown, "OFF-0001") {
		t.Fatalf("an unknown person sees the case: %q", unknown)
	}

	w := newWorld(t)
	w.conn.AddMember(omar)
	if _, err := w.eng.Apply(t.Context(), openJane()); err != nil {
		t.Fatal(err)
	}
	w.p.UsePeople(entraOn(t, graph))
	known := listReply(t, w, omar, "a:omar-2")
	if !strings.Contains(known, "OFF-0001") {
		t.Fatalf("Omar is answered as an unknown person although Entra ID names him: %q", known)
	}
	if got := w.p.AADObjectID(omarEmail); got != omarID {
		t.Fatalf("object id by Omar's Entra mail = %q", got)
	}

	// A disabled account: Entra ID names no one, Omar holds no role.
	const rayID = "1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	graph.AddUser(graphtest.User{ID: rayID, UserPrincipalName: "ray@example.com", Mail: omarEmail, AccountEnabled: false})
	ray := teamstest.Member{ID: "29:ray", AADObjectID: rayID, Name: "Ray"}
	w.conn.AddMember(ray)
	if got := listReply(t, w, ray, "a:ray"); strings.Contains(got, "OFF-0001") {
		t.Fatalf("a disabled Entra account acted with roles: %q", got)
	}
}
