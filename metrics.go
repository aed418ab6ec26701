package offboard

import "time"

// Metrics receives the figures an operator graphs: serve wires the
// Prometheus adapter (package metrics), and the parts that see an event
// report it here without knowing who listens. It carries counts and
// durations only, never a name, an email or a case id, so nothing a
// scrape shows identifies a person. Implementations must be safe for
// concurrent use and must not block: callers report from the engine's
// commit path, HTTP transports and chat acks.
type Metrics interface {
	// CasesChanged says a command committed: case counts may differ.
	CasesChanged()
	// Revoked says a case's access is gone, after this long from its
	// clock start (its time to revocation).
	Revoked(after time.Duration)
	// APIRequest says one HTTP request to an outside system ended with
	// this status (0 when no answer came, err then says why).
	APIRequest(system string, status int, err error)
	// ChatAck says how long a chat platform's input took to be
	// acknowledged ("slack", "teams").
	ChatAck(platform string, took time.Duration)
}
