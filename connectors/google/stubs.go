package google

import (
	"context"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// notYet is an action not built yet: it fails visibly, never claiming
// an effect.
func notYet(what string) error {
	return offboard.Errorf(offboard.EINVALID, "offboard cannot %s in Google Workspace yet; do it in the Google Admin console and mark the task done", what)
}

func (g *Google) resetMFA(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return connectors.Result{}, notYet("invalidate backup codes and app passwords")
}

func (g *Google) revokeGrants(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return connectors.Result{}, notYet("revoke OAuth tokens")
}

func (g *Google) transferFiles(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return connectors.Result{}, notYet("transfer Drive and Calendar")
}

func (g *Google) delegateMail(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return connectors.Result{}, notYet("delegate the mailbox")
}

func (g *Google) deleteUser(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return connectors.Result{}, notYet("delete the user")
}
