// Package flows is the only code that changes a case. Engine implements
// offboard.CaseService: Apply takes an offboard.Command carrying its
// actor, authorizes it, decides, and writes the new state, its audit
// events and the jobs it causes in one store transaction (a
// transactional outbox). Refused commands change nothing but leave an
// audit entry.
//
// The engine is deterministic: no goroutines, timers or sleeps. Time comes
// from an injected offboard.Clock; scheduled work is found by Tick(now)
// reconciling stored state. flows/runner owns the goroutines that run jobs
// and send Tick; it reaches the engine as an offboard.CaseService.
//
// flows imports the root package, the standard library and a YAML decoder
// for the embedded default playbook. It never imports store, connectors,
// bot, web, config or the runner: those meet it through root interfaces. Only cmd/offboard imports
// flows, to build the engine; the commands and views it takes and returns
// live in the root package.
package flows
