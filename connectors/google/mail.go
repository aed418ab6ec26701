package google

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// mailboxInactive is the answer when the leaver's mailbox can no longer
// take a delegate: Gmail acts only as an active mailbox owner (Google
// refuses a token for a suspended one), so nothing offboard retries can
// help; a person can, in a few steps.
func mailboxInactive(leaver *gmailParty, receiver string) error {
	return offboard.Errorf(offboard.EINVALID,
		"Gmail accepts a delegate only while the mailbox is active, and the Google account %s is %s: it was suspended before the mail handover was approved. "+
			"To hand the mail over, unsuspend it in the Google Admin console, add %s as a delegate (Retry this task, or Gmail's settings), then suspend it again — or export the mailbox with Google Vault — and mark the task done",
		leaver.email, leaver.state, receiver)
}

// gmailParty is the leaver as the Directory shows them.
type gmailParty struct {
	id, email, state string
	active           bool
}

// delegateMail hands the leaver's mailbox to the person the manager chose
// by Gmail delegation: acting as the leaver (Gmail takes settings changes
// only from the mailbox owner), it adds the receiver's primary address
// as a delegate, which the API sets accepted at once. Google's answer is
// the read-back: reading a delegate needs a Gmail read scope
// (gmail.settings.basic at least) that offboard does not ask for, and
// the answer already says the delegate and its status.
func (g *Google) delegateMail(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	to, err := g.receiver(ctx, req, "the mailbox")
	if err != nil {
		return connectors.Result{}, err
	}
	u, err := g.user(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	leaver := &gmailParty{id: u.Id, email: u.PrimaryEmail, state: accountState(u), active: !u.Suspended && !u.Archived}
	if u.Id == to.Id {
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID,
			"the mailbox of %s cannot be delegated to %s, the leaver themself: the manager must choose someone else", u.PrimaryEmail, req.Params["to"])
	}
	if !leaver.active {
		return connectors.Result{}, mailboxInactive(leaver, to.PrimaryEmail)
	}
	svc, err := g.c.Gmail(ctx, leaver.email)
	if err != nil {
		return connectors.Result{}, err
	}
	cl := call{what: "add " + to.PrimaryEmail + " as a delegate of the mailbox " + leaver.email, scope: ScopeGmailSharing, subject: leaver.email}
	ev := map[string]string{"mailbox": leaver.email, "delegate": to.PrimaryEmail}
	d, err := svc.Users.Settings.Delegates.Create("me", &gmail.Delegate{DelegateEmail: to.PrimaryEmail}).Context(ctx).Do()
	if gerr, ok := errors.AsType[*googleapi.Error](err); ok && gerr.Code == http.StatusConflict {
		// Google's answer to a delegate it already has: a rerun after a
		// crash, or someone was quicker.
		ev["verification_status"] = "not read (Google answered that the delegate exists; reading its status needs a Gmail read scope offboard does not ask for)"
		return connectors.Result{Verified: true, AlreadyDone: true, UserID: leaver.id, Evidence: ev,
			Summary: to.PrimaryEmail + " was already a delegate of the mailbox " + leaver.email}, nil
	}
	if rerr, ok := errors.AsType[*oauth2.RetrieveError](err); ok && tokenErrorCode(rerr) == "invalid_grant" {
		// Suspended since the Directory answered? Then the same advice.
		if again, aerr := g.user(ctx, offboard.Target{Email: leaver.email}); aerr == nil && (again.Suspended || again.Archived) {
			leaver.state = accountState(again)
			return connectors.Result{}, mailboxInactive(leaver, to.PrimaryEmail)
		}
	}
	if err != nil {
		return connectors.Result{}, g.c.fail(cl, err)
	}
	ev["verification_status"] = upstream(d.VerificationStatus)
	res := connectors.Result{UserID: leaver.id, Evidence: ev,
		Verified: strings.EqualFold(d.DelegateEmail, to.PrimaryEmail) && d.VerificationStatus == "accepted",
		Summary:  to.PrimaryEmail + " can now read and send from the mailbox " + leaver.email}
	if !res.Verified {
		res.Summary = "Google answered the delegation of " + leaver.email + " with " + upstream(d.DelegateEmail) + " " + ev["verification_status"] + ", not " + to.PrimaryEmail + " accepted"
	}
	return res, nil
}

// tokenErrorCode is the OAuth error code of a refused token request.
func tokenErrorCode(e *oauth2.RetrieveError) string {
	if e.ErrorCode != "" {
		return e.ErrorCode
	}
	// The JWT flow leaves Google's {"error": …} body unparsed.
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(e.Body, &body)
	return body.Error
}
