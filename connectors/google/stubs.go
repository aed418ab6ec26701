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

func (g *Google) hold(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return connectors.Result{}, notYet("place a Vault hold")
}

func (g *Google) deactivate(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return connectors.Result{}, notYet("remove licenses")
}

// DefaultLicenses are the common Google Workspace SKUs.
func DefaultLicenses() []License { return nil }
