package slack

import (
	"errors"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

func asFieldErrors(err error, fe *offboard.FieldErrors) bool { return errors.As(err, fe) }

func asSlackError(err error, se *slack.SlackErrorResponse) bool { return errors.As(err, se) }
