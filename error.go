package offboard

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Error codes. Every error a person can see carries one; the code decides
// the HTTP status and whether a job is retried.
const (
	EINVALID     = "invalid"     // bad input; fix it and try again
	ENOTFOUND    = "not_found"   // no such case, task or approval
	EFORBIDDEN   = "forbidden"   // the actor may not do this
	ECONFLICT    = "conflict"    // the state does not allow it (already done, already open)
	EUNAVAILABLE = "unavailable" // a dependency failed; retrying may help
	EINTERNAL    = "internal"    // a bug or a broken store
)

// Error is an application error: a code for programs and a message for
// people. Messages never contain secrets.
type Error struct {
	Code    string
	Message string
	// Unknown, on a refusal of emails no directory knows, says which and
	// what was probably meant, so an intake can offer the suggestion and
	// a way to confirm (a button, a form field, confirm_unknown).
	Unknown []UnknownEmail
}

// UnknownEmail is one email of a command that no directory source knows.
type UnknownEmail struct {
	// Field is "employee" or "manager".
	Field string `json:"field"`
	Email string `json:"email"`
	// Suggestion is the closest known email, or "".
	Suggestion string `json:"suggestion,omitempty"`
	// Sources are the labels of the directories asked.
	Sources []string `json:"sources"`
}

// UnknownEmails returns the unknown emails an error refuses, or nil.
func UnknownEmails(err error) []UnknownEmail {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Unknown
	}
	return nil
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	if _, ok := errors.AsType[*RateLimitError](err); ok {
		return EUNAVAILABLE
	}
	if _, ok := errors.AsType[*ClaimLostError](err); ok {
		return ECONFLICT // another replica owns the job now
	}
	return EINTERNAL
}

// Permanent reports whether err is a refusal that no retry can change:
// its code is EINVALID, ENOTFOUND, EFORBIDDEN or ECONFLICT. Every other
// error, nil included, is not permanent.
func Permanent(err error) bool {
	switch ErrorCode(err) {
	case EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT:
		return true
	}
	return false
}

// ErrorMessage returns the message of the first *Error in err's chain, and
// a generic text for internal errors so their detail stays in the logs.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	if e, ok := errors.AsType[*RateLimitError](err); ok {
		return e.Error()
	}
	if e, ok := errors.AsType[*ClaimLostError](err); ok {
		return e.Error()
	}
	return "internal error; see the offboard log"
}

// RateLimitError says an outside API refused work until Reset. The outbox
// pauses every job for that API until then instead of burning attempts.
type RateLimitError struct {
	// API is the connector's name ("okta"), or an API with one part of
	// it after a slash ("chat:slack/channel:C1", "okta/<bucket>"): a
	// notice held by that part alone is deferred, not its platform, and
	// an action held by it pauses only the actions that met that part.
	API   string
	Reset time.Time // when the API accepts requests again
	Err   error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s rate limit reached; paused until %s", e.API, e.Reset.UTC().Format(time.RFC3339))
}

func (e *RateLimitError) Unwrap() error { return e.Err }

// TransportErrorText is err's text with the query and fragment of any
// URL in it removed: net/http quotes the URL in its errors, and a query
// may name people (a search by email) or carry a key.
func TransportErrorText(err error) string {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		u := ue.URL
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		return fmt.Sprintf("%s %q: %v", ue.Op, u, ue.Err)
	}
	return err.Error()
}
