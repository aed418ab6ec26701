package google

import (
	"context"
	"fmt"
	"strings"
	"time"

	directory "google.golang.org/api/admin/directory/v1"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// RestorableFor is how long Google keeps a deleted user restorable
// (users.undelete; the Admin console's "Recently deleted" filter): 20
// days, after which its data is gone and Google support cannot bring it
// back either.
const RestorableFor = 20 * 24 * time.Hour

// deletedNote is what the evidence says about a deletion.
const deletedNote = "Google keeps a deleted user restorable (users.undelete, or Recently deleted in the Admin console) for 20 days; after that its data is gone for good"

// maxDeletedPages bounds the walk through deleted users (500 a page):
// only the last 20 days' deletions are listed.
const maxDeletedPages = 20

// findDeleted looks for the target among the users Google keeps after
// deletion (users.list showDeleted=true): by the id the case recorded,
// else by email (the latest deletion when there are several). nil when
// it is not there.
func (g *Google) findDeleted(ctx context.Context, svc *directory.Service, t offboard.Target) (*directory.User, error) {
	id, email := t.UserID(System), lower(t.Email)
	cl := call{what: "list the deleted Google Workspace users", scope: ScopeUser, subject: g.c.admin}
	var found *directory.User
	token := ""
	for range maxDeletedPages {
		page, err := svc.Users.List().Customer(g.c.customer).ShowDeleted("true").MaxResults(500).PageToken(token).Context(ctx).Do()
		if err != nil {
			return nil, g.c.fail(cl, err)
		}
		for _, u := range page.Users {
			switch {
			case id != "" && u.Id == id:
				return u, nil
			case id == "" && lower(u.PrimaryEmail) == email && (found == nil || u.DeletionTime > found.DeletionTime):
				found = u
			}
		}
		if token = page.NextPageToken; token == "" {
			return found, nil
		}
	}
	return nil, fmt.Errorf("google: %s: more than %d pages of deleted users", cl.what, maxDeletedPages)
}

// deletedEvidence says who was deleted, when, and until when it can be
// undeleted.
func deletedEvidence(u *directory.User, at time.Time) map[string]string {
	ev := map[string]string{"user_id": u.Id, "primary_email": u.PrimaryEmail, "note": deletedNote}
	if !at.IsZero() {
		ev["deleted_at"] = at.UTC().Format(time.RFC3339)
		ev["restorable_until"] = at.Add(RestorableFor).UTC().Format(time.RFC3339)
	}
	return ev
}

func deletedSummary(u *directory.User, verb string, at time.Time) string {
	until := "for 20 days"
	if !at.IsZero() {
		until = "until " + at.Add(RestorableFor).UTC().Format("2006-01-02")
	}
	return fmt.Sprintf("Google Workspace user %s %s; restorable %s", u.PrimaryEmail, verb, until)
}

// deleteUser deletes the suspended user (users.delete) and reads back
// that Google no longer knows it (users.get 404). The playbook runs it
// only after deactivation, the data handover, Legal's hold review and
// its approval; an account still active is refused all the same, as
// deletion is no way to suspend. When the case recorded the user's id,
// the user is found by that id only: after a deletion the email may
// belong to a new account, which must never be deleted in its place.
func (g *Google) deleteUser(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	svc, err := g.c.Directory(ctx, ScopeUser)
	if err != nil {
		return connectors.Result{}, err
	}
	t := req.Target
	read := call{what: "read the Google Workspace user " + t.Email, scope: ScopeUser, subject: g.c.admin}
	u, err := svc.Users.Get(userKey(t)).Context(ctx).Do()
	if err != nil && offboard.ErrorCode(g.c.fail(read, err)) == offboard.ENOTFOUND {
		gone, ferr := g.findDeleted(ctx, svc, t)
		if ferr != nil {
			return connectors.Result{}, ferr
		}
		if gone != nil {
			at, _ := time.Parse(time.RFC3339, gone.DeletionTime)
			return connectors.Result{Verified: true, AlreadyDone: true, UserID: gone.Id, Evidence: deletedEvidence(gone, at),
				Summary: deletedSummary(gone, "was already deleted", at)}, nil
		}
		if id := t.UserID(System); id != "" {
			return connectors.Result{}, offboard.Errorf(offboard.ENOTFOUND,
				"Google Workspace knows no user and no deleted user with the id %s recorded for %s (deleted more than 20 days ago, or removed by hand): nothing to delete", id, t.Email)
		}
	}
	if err != nil {
		return connectors.Result{}, g.c.fail(read, err)
	}
	if !u.Suspended && !u.Archived {
		return connectors.Result{}, offboard.Errorf(offboard.ECONFLICT,
			"Google Workspace account %s is still active: suspend it first (deletion waits for the account to be suspended)", u.PrimaryEmail)
	}
	if err := svc.Users.Delete(u.Id).Context(ctx).Do(); err != nil {
		return connectors.Result{}, g.c.fail(call{what: "delete the Google Workspace user " + u.PrimaryEmail, scope: ScopeUser, subject: g.c.admin}, err)
	}
	at := g.c.now()
	_, err = svc.Users.Get(u.Id).Context(ctx).Do()
	switch code := offboard.ErrorCode(g.c.fail(read, err)); {
	case err == nil:
		return connectors.Result{UserID: u.Id, Evidence: map[string]string{"user_id": u.Id, "primary_email": u.PrimaryEmail},
			Summary: fmt.Sprintf("Google accepted the deletion but %s still reads back as a user", u.PrimaryEmail)}, nil
	case code != offboard.ENOTFOUND:
		return connectors.Result{}, fmt.Errorf("read back: %w", g.c.fail(read, err))
	}
	return connectors.Result{Verified: true, UserID: u.Id, Evidence: deletedEvidence(u, at), Summary: deletedSummary(u, "deleted", at)}, nil
}

// restore unsuspends a cancelled case's account, undeleting it first
// when Google has it among the deleted users (it comes back suspended
// when it was suspended at deletion, which offboard's always is). What
// other actions removed is not brought back, and the evidence says so.
func (g *Google) restore(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	svc, err := g.c.Directory(ctx, ScopeUser)
	if err != nil {
		return connectors.Result{}, err
	}
	t := req.Target
	cl := suspendCall(g, t, false)
	u, err := updateSuspended(ctx, svc, userKey(t), false)
	undeleted := false
	if err != nil && offboard.ErrorCode(g.c.fail(cl, err)) == offboard.ENOTFOUND {
		// Deleted users are looked for before the email, which a new
		// account may hold by now.
		gone, ferr := g.findDeleted(ctx, svc, t)
		switch {
		case ferr != nil:
			return connectors.Result{}, ferr
		case gone != nil:
			if err := g.undelete(ctx, svc, gone); err != nil {
				return connectors.Result{}, err
			}
			undeleted = true
			u, err = updateSuspended(ctx, svc, gone.Id, false)
		case t.UserID(System) != "":
			u, err = updateSuspended(ctx, svc, t.Email, false)
		}
	}
	if err != nil {
		return connectors.Result{}, g.c.fail(cl, err)
	}
	res := suspendedResult(u, false)
	if undeleted {
		res.Evidence["undeleted"] = "true"
		res.Evidence["org_unit_path"] = u.OrgUnitPath
		res.Summary = "Google Workspace user undeleted; " + res.Summary
	}
	res.Evidence["not_restored"] = "OAuth tokens, app passwords, backup codes and licenses removed earlier are not brought back: " +
		"the person signs in again and reconnects apps; IT reassigns licenses"
	return res, nil
}

// undelete brings a deleted user back into the organizational unit it
// was in (users.undelete takes the immutable id only).
func (g *Google) undelete(ctx context.Context, svc *directory.Service, u *directory.User) error {
	ou := u.OrgUnitPath
	if !strings.HasPrefix(ou, "/") {
		ou = "/"
	}
	err := svc.Users.Undelete(u.Id, &directory.UserUndelete{OrgUnitPath: ou}).Context(ctx).Do()
	if err != nil {
		return g.c.fail(call{what: "undelete the Google Workspace user " + u.PrimaryEmail, scope: ScopeUser, subject: g.c.admin}, err)
	}
	return nil
}
