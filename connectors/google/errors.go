package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/throttle"
)

// defaultBackoff is the pause when Google throttles without a
// Retry-After: its documented advice is exponential backoff from about a
// second; the runner's own backoff grows it on repeats.
const defaultBackoff = 5 * time.Second

// maxRetryAfter bounds a Retry-After so a hostile or broken answer
// cannot pause every Google job for days.
const maxRetryAfter = 10 * time.Minute

// scopeNames are the scopes as the README and the Admin console name
// them, for errors people act on.
var scopeNames = map[string]string{
	ScopeUser:         "admin.directory.user",
	ScopeUserSecurity: "admin.directory.user.security",
	ScopeDataTransfer: "admin.datatransfer",
	ScopeGmailSharing: "gmail.settings.sharing",
	ScopeLicensing:    "apps.licensing",
	ScopeVault:        "ediscovery",
}

// rateLimitReasons are Google's error reasons for "slow down": its APIs
// answer 429, or 403 with one of these (the Admin SDK and Gmail
// document both).
var rateLimitReasons = map[string]bool{
	"rateLimitExceeded": true, "userRateLimitExceeded": true, "quotaExceeded": true,
	"dailyLimitExceeded": true, "RATE_LIMIT_EXCEEDED": true, "RESOURCE_EXHAUSTED": true,
}

// permissionReasons are Google's reasons for a token that lacks a scope
// or a role.
var permissionReasons = map[string]bool{
	"insufficientPermissions": true, "ACCESS_TOKEN_SCOPE_INSUFFICIENT": true, "forbidden": true,
	"PERMISSION_DENIED": true, "authError": true,
}

// call names one request for errors: what offboard tried ("suspend the
// Google Workspace user jane@example.com"), the scope it used and the
// user it acted as.
type call struct {
	what    string
	scope   string
	subject string
}

// fail turns an error of a Google call into offboard's error contract.
// Its text never holds a token or a raw body: Google's own message,
// truncated, and what to do.
func (c *Client) fail(cl call, err error) error {
	if err == nil {
		return nil
	}
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		return c.tokenError(cl, rerr)
	}
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return fmt.Errorf("google: %s: %s", cl.what, c.scrub(offboard.TransportErrorText(err)))
	}
	// Google's words, cleaned of any token an upstream echoed before they
	// are cut (a cut token would no longer be found).
	reason := offboard.UpstreamText([]byte(c.scrub(firstReason(gerr))))
	msg := offboard.UpstreamText([]byte(c.scrub(gerr.Message)))
	if msg == "" {
		msg = http.StatusText(gerr.Code)
	}
	switch {
	case gerr.Code == http.StatusTooManyRequests || (gerr.Code == http.StatusForbidden && rateLimitReasons[reason]):
		return &offboard.RateLimitError{API: API, Reset: c.now().Add(retryAfter(gerr.Header, c.now())),
			Err: fmt.Errorf("google: %s: %s (%s)", cl.what, msg, reason)}
	case gerr.Code == http.StatusUnauthorized:
		return offboard.Errorf(offboard.EFORBIDDEN, "Google refused offboard's token to %s (%s): check the service account key and google.admin_email", cl.what, msg)
	case gerr.Code == http.StatusForbidden && (permissionReasons[reason] || reason == ""):
		return offboard.Errorf(offboard.EFORBIDDEN, "Google refused to %s (%s): the service account needs the %s scope in its domain-wide delegation, and %s needs an admin role that allows it",
			cl.what, msg, scopeName(cl.scope), cl.subject)
	case gerr.Code == http.StatusForbidden:
		return offboard.Errorf(offboard.EFORBIDDEN, "Google refused to %s: %s (%s)", cl.what, msg, reason)
	case gerr.Code == http.StatusNotFound:
		return offboard.Errorf(offboard.ENOTFOUND, "Google found nothing to %s: %s", cl.what, msg)
	case gerr.Code == http.StatusConflict:
		return offboard.Errorf(offboard.ECONFLICT, "Google could not %s: %s", cl.what, msg)
	case gerr.Code >= 400 && gerr.Code < 500:
		return offboard.Errorf(offboard.EINVALID, "Google refused to %s: %s", cl.what, msg)
	}
	// 5xx: Google's side; the runner retries.
	return fmt.Errorf("google: %s: %d %s", cl.what, gerr.Code, msg)
}

// tokenError explains a refused token request. unauthorized_client is
// Google's answer when the client id lacks a scope in the domain-wide
// delegation; invalid_grant when the user acted as cannot be (unknown,
// suspended or deleted) or the key was revoked.
func (c *Client) tokenError(cl call, e *oauth2.RetrieveError) error {
	code, descText := e.ErrorCode, e.ErrorDescription
	if code == "" {
		// The JWT flow leaves the body unparsed; Google's is
		// {"error","error_description"}.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(e.Body, &body) == nil {
			code, descText = body.Error, body.Description
		}
	}
	desc := offboard.UpstreamText([]byte(descText))
	if e.Response != nil && e.Response.StatusCode == http.StatusTooManyRequests {
		return &offboard.RateLimitError{API: API, Reset: c.now().Add(retryAfter(e.Response.Header, c.now())),
			Err: fmt.Errorf("google: token request throttled: %s", desc)}
	}
	switch code {
	case "unauthorized_client", "access_denied":
		return offboard.Errorf(offboard.EFORBIDDEN,
			"Google refused a token to %s (%s): add the %s scope to the service account's client id under domain-wide delegation (Admin console: Security, API controls)",
			cl.what, code, scopeName(cl.scope))
	case "invalid_grant":
		return offboard.Errorf(offboard.EFORBIDDEN,
			"Google refused to act as %s to %s (invalid_grant: %s): the user must exist and not be suspended, and the service account key must be current", cl.subject, cl.what, desc)
	case "":
		status := 0
		if e.Response != nil {
			status = e.Response.StatusCode
		}
		return fmt.Errorf("google: token request to %s failed with HTTP %d", cl.what, status)
	}
	return offboard.Errorf(offboard.EFORBIDDEN, "Google refused a token to %s (%s: %s)", cl.what, code, desc)
}

func firstReason(e *googleapi.Error) string {
	for _, it := range e.Errors {
		if it.Reason != "" {
			return it.Reason
		}
	}
	return ""
}

func scopeName(scope string) string {
	if n, ok := scopeNames[scope]; ok {
		return n
	}
	return strings.TrimPrefix(scope, "https://www.googleapis.com/auth/")
}

// retryAfter reads Retry-After (seconds or an HTTP date), bounded;
// absent, zero or odd, the default backoff.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return defaultBackoff
	}
	d, ok := throttle.RetryAfter(h.Get("Retry-After"), now)
	if !ok || d <= 0 {
		return defaultBackoff
	}
	return min(d, maxRetryAfter)
}
