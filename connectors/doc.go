// Package connectors defines how offboard acts on outside systems: the
// Action interface every connector implements, the error contract the
// outbox worker pool in flows/runner relies on, and the Registry that maps
// playbook action ids ("name.verb") to actions.
//
// # Actions
//
// An Action performs one effect for one task of one case and, where the
// outside system allows it, reads the target back: Result.Verified says
// the read-back agrees ("revoked means verified"). Actions must be
// idempotent: the same job may run again after a crash or a retry, and a
// target that is already in the wanted state is success with
// Result.AlreadyDone set. An action respects its context; the runner gives
// each run a timeout and cancels it at shutdown. An action never makes
// its own retries that fight the outbox's (turn off SDK retries on 429).
//
// # Error contract
//
// What an action returns decides what happens next:
//
//   - *offboard.RateLimitError: the outside API refused work until Reset.
//     The runner pauses every job of that API (RateLimitError.API, which
//     must match the part of the action id before the dot) until Reset and
//     runs the job again then, without counting an attempt.
//   - *offboard.Error with code EUNAVAILABLE, or any error that is not an
//     *offboard.Error (network errors, 5xx, timeouts): retryable. The job
//     runs again after a capped exponential backoff until the engine's
//     attempts run out; then the task fails and the job goes to the dead
//     letters.
//   - *offboard.Error with code EINVALID, ENOTFOUND, EFORBIDDEN or
//     ECONFLICT: permanent. The task fails at once and people are told.
//
// Retryable classifies an error by these rules. The message of an
// *offboard.Error is shown to people and recorded in the audit trail, and
// the text of any other error is recorded too: error texts never contain
// tokens, secrets or request bodies.
//
// # Registry
//
// There are no package globals and no init registration: cmd/offboard's
// wiring builds a Registry and registers each configured connector with
// RegisterConnector: its declaration (an offboard.Connector: the
// capabilities it implements, each bound to one of its action ids with
// the task title and button people see) and its actions. A connector
// that is not configured is declared with DeclareConnector, which
// registers its actions as failing permanently with a message saying what
// to configure, so the playbook still gets its tasks and they fail
// visibly. The engine assembles the default playbook from the
// declarations (Registry.Connectors).
//
// # Imports
//
// connectors and its subpackages import the root package, config (their
// own section), their own vendor SDK, internal helpers and the standard
// library. Connectors never import each other, flows, bot, store or web
// (TestImportRules). A connector's fake for tests lives beside it
// (okta/oktafake with okta/oktatest, bamboohr/bamboohrtest).
package connectors
