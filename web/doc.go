// Package web is offboard's one HTTP surface: a single mux that serves
// GET /healthz and the REST API under /api/v1, and that later packages
// extend with Server.Mount (HRIS webhooks, the console, the Teams
// endpoint).
//
// It owns HTTP concerns only: routing, bearer-token authentication of API
// callers, strict decoding of request bodies, mapping offboard error codes
// to HTTP statuses and JSON error bodies, and the middleware every request
// passes through (request id, panic recovery, access log, security
// headers). Every decision about a case is the engine's: a handler turns a
// request into an offboard.Command carrying the caller as an offboard.Actor,
// hands it to CaseService.Apply, and renders the result. Refused commands are
// audited by the engine; web only maps the error.
//
// web imports the root package (offboard) and the standard library.
// It never imports config, store or a platform SDK: cmd/offboard converts
// configured API tokens into []Token and passes the store's Ping.
//
// # REST API
//
//	POST /api/v1/cases              open a case (201; 200 with "duplicate":true on a repeat)
//	GET  /api/v1/cases              list: ?status=open|completed|cancelled&email=…&limit=…
//	GET  /api/v1/cases/{id}         one case with its tasks and approvals
//	POST /api/v1/cases/{id}/cancel  cancel: {"reason": "…"}
//
// Callers send "Authorization: Bearer <token>". Errors are
// {"error":{"code":"…","message":"…"}} with the status the code implies
// (invalid 400, unauthorized 401, forbidden 403, not_found 404,
// conflict 409, too_large 413, unsupported_media_type 415,
// unavailable 503, internal 500). Internal detail goes to the log, never
// to the caller; tokens, Authorization headers and bodies are never
// logged.
package web
