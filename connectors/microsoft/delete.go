package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// RestorableFor is how long Entra ID keeps a deleted user in the
// directory's deleted items, restorable, before deleting it for good.
const RestorableFor = 30 * 24 * time.Hour

// deletedNote is what the evidence says about a deletion.
const deletedNote = "the user is in Entra ID's deleted items and can be restored (with its groups, licenses and mailbox) for 30 days; after that Microsoft deletes it for good"

// deletedItem is a user in the directory's deleted items.
type deletedItem struct {
	ID                string     `json:"id"`
	UserPrincipalName string     `json:"userPrincipalName"`
	DeletedDateTime   *time.Time `json:"deletedDateTime"`
}

// deletedUser reads the user with id from deleted items; ENOTFOUND when
// it is not there.
func (c *Client) deletedUser(ctx context.Context, id string) (*deletedItem, error) {
	var d deletedItem
	if err := c.do(ctx, call{method: http.MethodGet, path: "/directory/deletedItems/" + url.PathEscape(id),
		out: &d, what: "read the deleted user " + id, perm: "User.Read.All"}); err != nil {
		return nil, err
	}
	// Entra renames a deleted user: its object id without hyphens, then
	// the name it had. People know the name.
	d.UserPrincipalName = strings.TrimPrefix(d.UserPrincipalName, strings.ReplaceAll(d.ID, "-", ""))
	return &d, nil
}

func deletedEvidence(d *deletedItem) map[string]string {
	ev := map[string]string{"user_id": d.ID, "user_principal_name": d.UserPrincipalName, "note": deletedNote}
	if d.DeletedDateTime != nil {
		ev["deleted_at"] = d.DeletedDateTime.UTC().Format(time.RFC3339)
		ev["restorable_until"] = d.DeletedDateTime.Add(RestorableFor).UTC().Format(time.RFC3339)
	}
	return ev
}

func deletedSummary(d *deletedItem, verb string) string {
	until := "for 30 days"
	if d.DeletedDateTime != nil {
		until = "until " + d.DeletedDateTime.Add(RestorableFor).UTC().Format("2006-01-02")
	}
	return fmt.Sprintf("Microsoft Entra ID user %s %s; restorable from deleted items %s", d.UserPrincipalName, verb, until)
}

// findDeleted returns the target's user from deleted items when the
// target carries its id (an earlier action found it) and the user is no
// longer among the users; nil otherwise.
func (c *Client) findDeleted(ctx context.Context, t offboard.Target) (*deletedItem, error) {
	id := t.UserID(System)
	if id == "" {
		return nil, nil
	}
	if _, err := c.GetUser(ctx, id); offboard.ErrorCode(err) != offboard.ENOTFOUND {
		return nil, err
	}
	d, err := c.deletedUser(ctx, id)
	if offboard.ErrorCode(err) == offboard.ENOTFOUND {
		return nil, nil
	}
	return d, err
}

// deleteUser deletes the disabled user and reads back that the user is
// gone and in deleted items. The playbook runs it only after
// deactivation, Legal's hold review and its approval; an account still
// enabled is refused all the same, as deletion is no way to disable.
func (e *Entra) deleteUser(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	gone, err := e.c.findDeleted(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	if gone != nil {
		return connectors.Result{Verified: true, AlreadyDone: true, UserID: gone.ID, Evidence: deletedEvidence(gone),
			Summary: deletedSummary(gone, "was already deleted")}, nil
	}
	u, err := e.c.FindUser(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	if u.Enabled() {
		return connectors.Result{}, offboard.Errorf(offboard.ECONFLICT,
			"Microsoft Entra ID account %s is still enabled: disable it first (deletion waits for the account to be disabled)", u.UserPrincipalName)
	}
	err = e.c.do(ctx, call{method: http.MethodDelete, path: "/users/" + url.PathEscape(u.ID),
		what: "delete the user " + u.UserPrincipalName, perm: "User.ReadWrite.All"})
	if offboard.ErrorCode(err) == offboard.EFORBIDDEN {
		// Microsoft documents User.ReadWrite.All as not enough for a user
		// holding a privileged administrator role: say which it is.
		if roles, rerr := e.c.directoryRoles(ctx, u.ID); rerr == nil && len(roles) > 0 {
			return connectors.Result{}, offboard.Errorf(offboard.EFORBIDDEN,
				"Microsoft Entra ID: %s is a privileged user (%s); deleting it needs a privileged role offboard does not hold: do it by hand and mark the task done",
				u.UserPrincipalName, strings.Join(roles, ", "))
		}
	}
	if err != nil {
		return connectors.Result{}, err
	}
	_, err = e.c.GetUser(ctx, u.ID)
	switch offboard.ErrorCode(err) {
	case offboard.ENOTFOUND:
	case "":
		return connectors.Result{UserID: u.ID, Evidence: map[string]string{"user_id": u.ID, "user_principal_name": u.UserPrincipalName},
			Summary: fmt.Sprintf("Microsoft Entra ID accepted the deletion but %s still reads back as a user", u.UserPrincipalName)}, nil
	default:
		return connectors.Result{}, fmt.Errorf("read back: %w", err)
	}
	d, err := e.c.deletedUser(ctx, u.ID)
	if offboard.ErrorCode(err) == offboard.ENOTFOUND {
		return connectors.Result{UserID: u.ID, Evidence: map[string]string{"user_id": u.ID, "user_principal_name": u.UserPrincipalName},
			Summary: fmt.Sprintf("Microsoft Entra ID deleted %s but it is not in deleted items: it may not be restorable", u.UserPrincipalName)}, nil
	}
	if err != nil {
		return connectors.Result{}, fmt.Errorf("read back deleted items: %w", err)
	}
	d.UserPrincipalName = u.UserPrincipalName
	return connectors.Result{Verified: true, UserID: u.ID, Evidence: deletedEvidence(d), Summary: deletedSummary(d, "deleted")}, nil
}

// restoreDeleted brings the target's user back from deleted items when
// it is there, and says whether it did.
func (e *Entra) restoreDeleted(ctx context.Context, t offboard.Target) (bool, error) {
	gone, err := e.c.findDeleted(ctx, t)
	if err != nil || gone == nil {
		return false, err
	}
	if err := e.c.do(ctx, call{method: http.MethodPost, path: "/directory/deletedItems/" + url.PathEscape(gone.ID) + "/restore",
		what: "restore the deleted user " + gone.UserPrincipalName, perm: "User.DeleteRestore.All"}); err != nil {
		return false, err
	}
	return true, nil
}
