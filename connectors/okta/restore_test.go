package okta_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// TestClient_Restore: after a cancelled case, okta.restore unsuspends a
// SUSPENDED user and activates a DEPROVISIONED one without an email,
// reads the status back, and says in the evidence what it cannot bring
// back. The activation token is a credential and never appears.
func TestClient_Restore(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	e.mustRun("okta.suspend", jane("jane@example.com"))
	e.mustRun("okta.reset_factors", jane("jane@example.com"))

	res := e.mustRun("okta.restore", jane("jane@example.com"))
	checkEvidence(t, "okta.restore", res, "not_restored")
	if !res.Verified || res.Evidence["status_before"] != "SUSPENDED" || res.Evidence["status_after"] != "ACTIVE" ||
		e.user(u.ID).Status != "ACTIVE" || !strings.HasPrefix(res.Summary, "unsuspended Okta user") {
		t.Fatalf("restore of a suspended user = %+v", res)
	}
	if !strings.Contains(res.Evidence["not_restored"], "re-enrol MFA") {
		t.Errorf("evidence does not say MFA must be enrolled again: %v", res.Evidence)
	}
	// Again: already active, nothing written.
	again := e.mustRun("okta.restore", jane("jane@example.com"))
	if !again.AlreadyDone || !again.Verified || e.srv.Count("POST", "/api/v1/users/"+u.ID+"/lifecycle/unsuspend") != 1 {
		t.Fatalf("second restore = %+v", again)
	}

	// Deactivated (factors were reset): activated without email; the
	// person completes activation, so the user is PROVISIONED.
	e.mustRun("okta.deactivate", jane("jane@example.com"))
	res = e.mustRun("okta.restore", connectors.Request{Params: map[string]string{"okta_user": u.ID}})
	if !res.Verified || res.Evidence["status_before"] != "DEPROVISIONED" || res.Evidence["status_after"] != "PROVISIONED" ||
		!strings.Contains(res.Summary, "activation") || !strings.Contains(res.Evidence["activation"], "no email") {
		t.Fatalf("restore of a deactivated user = %+v", res)
	}
	if em := e.srv.SentEmails(); len(em) != 0 {
		t.Fatalf("Okta emailed %v", em)
	}
	if n := e.srv.Count("POST", "/api/v1/users/"+u.ID+"/lifecycle/activate"); n != 1 {
		t.Fatalf("%d activate calls", n)
	}
	for _, v := range res.Evidence {
		if strings.Contains(v, "XE6w") || strings.Contains(v, "/welcome/") {
			t.Fatalf("the activation token leaked into the evidence: %v", res.Evidence)
		}
	}
	// PROVISIONED is restored already (the person still has to activate).
	if again := e.mustRun("okta.restore", jane("jane@example.com")); !again.AlreadyDone {
		t.Fatalf("restore of a PROVISIONED user = %+v", again)
	}

	// A status Okta cannot restore from is a clear, permanent refusal.
	e.srv.AddUser(oktatest.User{Login: "locked@example.com", Status: "LOCKED_OUT"})
	_, err := e.run("okta.restore", jane("locked@example.com"))
	if err == nil || connectors.Retryable(err) || !strings.Contains(err.Error(), "LOCKED_OUT") {
		t.Fatalf("restore of a locked-out user: %v", err)
	}
}
