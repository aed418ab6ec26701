// Package microsoft acts on a Microsoft 365 tenant through Microsoft Graph
// v1.0 REST: a small client (graph.go) that authenticates as an app
// registration with the OAuth 2.0 client credentials grant (a client
// secret, or a client assertion signed with the app's certificate,
// assertion.go), and the Entra ID identity system built on it (entra*.go),
// and the Intune device system on the same client (intune*.go).
//
// Not the generated Graph SDK: it is enormous and slow to build, and a few
// typed calls are clearer.
//
// # Errors
//
// Graph answers errors as {"error":{"code","message","innerError"}}. The
// client maps them to the connectors' error contract: 404 is ENOTFOUND,
// 403 is EFORBIDDEN naming the application permission the call most
// likely lacks, 400 is EINVALID, 409 ECONFLICT; 429, and 503 with
// Retry-After, are *offboard.RateLimitError{API: "microsoft"}, and the
// client itself refuses further requests until the reset, so every
// system on the shared client (Entra ID, Intune) pauses together; other
// 5xx and network errors are retryable. Upstream messages are cut with
// offboard.UpstreamText and pass the Redactor; tokens are never logged.
//
// The fake Graph for tests is graphtest.
package microsoft
