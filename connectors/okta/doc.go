// Package okta is offboard's Okta connector. It registers eight actions
// (ActionIDs, declared in system.go) built on okta-sdk-golang v2:
//
//   - okta.suspend: ACTIVE → SUSPENDED (reversible; apps keep their data).
//   - okta.clear_sessions: end every Okta session and revoke OAuth tokens.
//   - okta.reset_factors: remove every enrolled MFA factor. The reset is
//     always sent: ListFactors shows only the factors of the user's
//     highest-priority enrollment policy, so its count is evidence only.
//   - okta.revoke_grants: revoke every OAuth consent grant.
//   - okta.remove_groups: remove the user from every OKTA_GROUP (APP_GROUP
//     and BUILT_IN groups are skipped and named in the evidence).
//   - okta.deactivate: → DEPROVISIONED, with sendEmail=false.
//   - okta.app_report: the user's app assignments and, with
//     config.Licenses, their monthly seat cost (a read).
//   - okta.restore: for a case cancelled after it revoked access:
//     SUSPENDED → ACTIVE (unsuspend); DEPROVISIONED → activate with
//     sendEmail=false (PROVISIONED until the person completes activation
//     with a link IT hands over; the activation token is dropped). Sessions,
//     factors, grants, apps and groups do not come back (evidence
//     not_restored).
//
// The safe order is the order above: suspend and clear sessions first (they
// cut access at once and can be undone), then factors, grants and groups,
// and deactivate last, after data retention, because deactivation
// deprovisions every assigned app and cannot be undone. The app report
// runs before deactivation, which removes the assignments it reads.
//
// # Finding the user
//
// Every action works on Params["okta_user"] (an Okta id or login) when the
// task sets it; else on the Okta id an earlier action of the case found
// (Request.Target.UserIDs["okta"]); else on the employee's email: first as a
// login (GET /api/v1/users/{email}), then by a search on profile.email that
// must match exactly one user (none is ENOTFOUND, several are ECONFLICT).
// Writes use the resolved 00u… id, never a login in a path. A result names
// the id it found by email (Result.UserID) and the engine keeps it on the
// case, so a case looks its person up once, not once per action. Actions
// that need the status first (suspend, deactivate, restore) read the user
// by that id; the others write to it unread. An id Okta answers with 404
// (the user was deleted or recreated) falls back to the email.
//
// # Idempotency and read-back
//
// Okta's lifecycle operations are not idempotent (a second suspend or
// deactivate is an error), so every action reads first and a target already
// in the wanted state is success with Result.AlreadyDone. After a write the
// action reads the target back; Result.Verified says whether the read-back
// agrees. If a lifecycle call fails, the user is read again and the wanted
// state counts as success. Okta offers admins no way to list a user's
// sessions, so okta.clear_sessions is verified by its 204 answer alone. The
// evidence of every action names the user (okta_user_id, login), the
// status before and after, what was read back and the X-Okta-Request-Id of
// the write (of the read when nothing was written).
//
// # Never DELETE
//
// The connector never calls DELETE /api/v1/users/{id}
// (DeactivateOrDeleteUser): on an active user it deactivates, and on a
// deactivated user it deletes the user for good, so a retried DELETE can
// destroy the record. Deactivation uses POST …/lifecycle/deactivate only.
//
// # Errors and rate limits
//
// The SDK's own 429 retries are off (the outbox retries), its cache is off
// (it returns stale users after writes), and every setting is passed
// explicitly so ~/.okta/okta.yaml and OKTA_* variables cannot change it.
// A 429 becomes *offboard.RateLimitError{API: "okta/<bucket>"} with Reset
// from X-Rate-Limit-Reset (a minute when absent), which pauses the Okta
// actions that met that bucket (the concurrent limit and the token
// endpoint: API "okta", every Okta job). Resets are in Okta's clock: the
// pacer places them in ours by the Date header of Okta's answers, so a
// host clock off by seconds neither sends early nor waits the skew;
// 401 and 403 are permanent EFORBIDDEN; a missing user is ENOTFOUND; other
// 4xx are EINVALID (409 ECONFLICT); 5xx, network errors and timeouts are
// plain errors and retried. Error texts, evidence and logs never contain
// the API token, the private key or the signed client assertion.
//
// Okta's rate limits are shared by the whole org and kept per endpoint
// family (bucket.go names them after Okta's "Management rate limits").
// The connector reads X-Rate-Limit-Limit, -Remaining and -Reset from every
// response into the request's own bucket (transport.go), and once
// Remaining ≤ Limit × (1 − rate_share) there, or the bucket answered 429,
// it sends nothing more to that bucket before its Reset: a reset within
// maxPaceWait is waited out, a later one is a RateLimitError without a
// call to Okta. Other buckets stay open, so offboard uses at most
// rate_share (default 0.5) of what the org has and a spent bucket never
// holds back a request to another; a revocation whose user-update bucket
// is spent is deferred before its lookup. At most okta.max_concurrent
// requests are in flight; a 429 for Okta's concurrent limit (its headers
// then carry that limit, not the bucket's) never closes the bucket: a
// request without a body is retried once after Okta's short estimate,
// else it is a RateLimitError until that estimate.
//
// # OAuth and DPoP
//
// In OAuth mode the connector gets its access tokens itself (oauth.go):
// SDK v2 parses only PKCS#1 keys, signs client assertions without a jti
// and has no DPoP. The SDK runs in Bearer mode with a placeholder token
// that the transport replaces. Each client assertion has a fresh jti and
// a 2-minute exp; the token is cached until a minute before it expires.
// okta.dpop auto (default) sends DPoP proofs (RFC 9449, ES256, a key per
// process) once the token endpoint answers invalid_dpop_proof; on always,
// off never. A use_dpop_nonce answer (400 from the token endpoint, 401
// with WWW-Authenticate from the API) is retried once with the nonce
// from DPoP-Nonce; a 401 invalid_token gets one new token. A refused
// token request is permanent (EFORBIDDEN for invalid_client, EINVALID
// for invalid_scope or DPoP misconfiguration) and names the config key.
//
// # Least privilege
//
// Prefer an OAuth 2.0 API Services app over an SSWS API token: a token
// carries all the permissions of the admin who made it and stops working
// when that admin is deactivated. Set up:
//
//  1. An API Services app with client authentication "Public key / Private
//     key" (private_key_jwt); put its client id, private key and key id in
//     okta.client_id, okta.private_key_file and okta.private_key_id. The
//     key may be the PKCS#8 PEM or the private JWK the Admin Console
//     generates, or a PKCS#1 PEM (RSA or EC P-256); anything else is
//     refused by New.
//  2. Grant it only the scopes okta.users.manage (lifecycle, sessions,
//     factors, grants), okta.users.read (lookups, read-back),
//     okta.groups.manage (group removal) and okta.apps.read (app report).
//  3. Assign it a custom admin role with only the permissions "Edit users'
//     lifecycle states", "Clear users' sessions", "Reset users'
//     authenticators", "Manage group membership" and "View users and their
//     details", on a resource set that excludes administrators,
//     break-glass accounts and the service app itself (for example the
//     "employees" group only). Scopes say which APIs it may call; the role
//     says which users and groups.
//
// The role needs no permission to delete users.
package okta
