package slack

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// noRetryAfterWait is how long a scope is held after a 429 whose
// Retry-After is missing or unreadable: Slack's tiers are per minute, and
// its documentation's own example asks for 30 s.
const noRetryAfterWait = 30 * time.Second

// maxRetryAfter bounds what is believed of a Retry-After: Slack's own
// are seconds to a minute, and an hour is honoured in full, but a date
// years ahead (or seconds past what a Duration holds) would silence a
// channel for good.
const maxRetryAfter = time.Hour

// rateLimited reports whether err is Slack's 429, and the wait it asked
// for. slack-go returns a *slack.RateLimitedError only for a Retry-After
// in whole seconds; a 429 without one comes back as a StatusCodeError,
// and one in the HTTP-date form RFC 9110 also allows as strconv's error
// from parsing it. Both are rate limits too: taken for failures they
// would count against the notice's attempts (and dead-letter it after a
// few) while the scope was sent into again at once.
func rateLimited(err error, now time.Time) (time.Duration, bool) {
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		// A negative one (or seconds that overflowed slack-go's Duration)
		// counts as none: the pacer holds the scope a second at least.
		return min(max(rl.RetryAfter, 0), maxRetryAfter), true
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok && sc.Code == http.StatusTooManyRequests {
		return noRetryAfterWait, true
	}
	// checkStatusCode parses Retry-After with strconv.ParseInt and returns
	// its error as is; no other part of a Web API call does.
	if ne, ok := errors.AsType[*strconv.NumError](err); ok && ne.Func == "ParseInt" {
		if at, err := http.ParseTime(ne.Num); err == nil {
			return min(at.Sub(now), maxRetryAfter), true
		}
		return noRetryAfterWait, true
	}
	return 0, false
}
