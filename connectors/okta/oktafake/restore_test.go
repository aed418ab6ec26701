package oktafake_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/connectors/okta/oktafake"
)

// TestServer_UnsuspendAndActivate follows Okta's contract for the two
// ways back: unsuspend only from SUSPENDED (else 400 E0000001), activate
// only from STAGED or DEPROVISIONED (else 403 E0000016), with sendEmail
// defaulting to true and the activation token returned only without it.
func TestServer_UnsuspendAndActivate(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	base := "/api/v1/users/" + u.ID + "/lifecycle/"
	status := func() string { got, _ := s.User(u.ID); return got.Status }

	e := wantErr(t, do(t, s, "POST", base+"unsuspend"), 400, "E0000001")
	if !strings.Contains(e.ErrorSummary, "not suspended") {
		t.Fatal(e.ErrorSummary)
	}
	wantErr(t, do(t, s, "POST", base+"activate?sendEmail=false"), 403, "E0000016")

	// Deactivated: unsuspend is refused, activate without email returns
	// the token and leaves the user PROVISIONED (factors were reset, so
	// the person completes activation).
	wantStatus(t, do(t, s, "POST", base+"reset_factors"), 200)
	wantStatus(t, do(t, s, "POST", base+"deactivate?sendEmail=false"), 200)
	wantErr(t, do(t, s, "POST", base+"unsuspend"), 400, "E0000001")
	r := do(t, s, "POST", base+"activate?sendEmail=false")
	wantStatus(t, r, 200)
	var tok struct{ ActivationURL, ActivationToken string }
	r.decode(t, &tok)
	if tok.ActivationToken == "" || !strings.Contains(tok.ActivationURL, tok.ActivationToken) {
		t.Fatalf("activation body = %s", r.body)
	}
	if status() != "PROVISIONED" || len(s.SentEmails()) != 0 {
		t.Fatalf("after activate: %s, emails %v", status(), s.SentEmails())
	}
	wantErr(t, do(t, s, "POST", base+"activate"), 403, "E0000016")

	// A user with factors left becomes ACTIVE; sendEmail defaults to true.
	v := s.AddUser(oktafake.User{Login: "v@example.com", Factors: []oktafake.Factor{{FactorType: "push"}}})
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+v.ID+"/lifecycle/deactivate?sendEmail=false"), 200)
	r = do(t, s, "POST", "/api/v1/users/"+v.ID+"/lifecycle/activate")
	wantStatus(t, r, 200)
	if got, _ := s.User(v.ID); got.Status != "ACTIVE" {
		t.Fatalf("with factors: %s", got.Status)
	}
	if em := s.SentEmails(); len(em) != 1 || em[0] != v.ID || strings.Contains(string(r.body), "activationToken") {
		t.Fatalf("emails %v, body %s", em, r.body)
	}
}
