// Package jamf is the Jamf Pro device system: it finds a leaver's
// computers and mobile devices in Jamf Pro's inventory and sends them the
// MDM lock and erase commands, following each until Jamf reports the
// device acknowledged it. It talks to the Jamf Pro API (/api) as an API
// client (OAuth client credentials); Jamf has no official Go SDK, so the
// calls are typed REST on net/http.
//
// Errors follow the connectors' contract: 404 is ENOTFOUND, 403
// EFORBIDDEN naming the API role privilege the call needs, other 4xx
// EINVALID with Jamf's words cut to size, 429 and 503 a
// *offboard.RateLimitError that pauses the whole client until
// Retry-After. A 401 drops the cached token and retries the call once with
// a new one (a token Jamf revoked or expired early); a second 401 is
// EFORBIDDEN naming the API client.
//
// The lock PIN offboard generates is a secret: it leaves this package only
// in connectors.Result.Secrets, never in evidence, summaries, logs or
// errors.
package jamf
