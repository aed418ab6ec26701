package connectors

import (
	"context"

	"github.com/offboard-dev/offboard"
)

// ManualMessage is the error of the manual action.
const ManualMessage = "manual tasks are done by a person and marked done in chat; nothing to run"

// Manual returns the action registered under offboard.ActionManual. The
// engine never queues jobs for manual tasks — a person does them and marks
// them done — so it exists only so that playbooks naming "manual"
// validate. Run always fails permanently (EINVALID); it never reports
// success.
func Manual() Action {
	return ActionFunc(func(context.Context, Request) (Result, error) {
		return Result{}, &offboard.Error{Code: offboard.EINVALID, Message: ManualMessage}
	})
}
