package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Phase is where a running offboard is in its life. /healthz says the
// process and its store answer; /readyz says it should be sent work: the
// store is open and the workers run.
type Phase int32

const (
	// Starting: HTTP is up but the workers and the schedule are not
	// running yet (the zero value: a new Server is not ready).
	Starting Phase = iota
	// Ready: the workers and the schedule run.
	Ready
	// Stopping: shutdown began; intake is closing.
	Stopping
)

func (p Phase) String() string {
	switch p {
	case Ready:
		return "ready"
	case Stopping:
		return "stopping"
	default:
		return "starting"
	}
}

// SetPhase tells /readyz where serve is: Ready once the runner started,
// Stopping as soon as shutdown begins.
func (s *Server) SetPhase(p Phase) { s.phase.Store(int32(p)) }

// readyz answers 200 when the phase is Ready and the store answers
// within healthTimeout, else 503 saying which. It needs no token and
// tells no more than /healthz.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	phase := Phase(s.phase.Load())
	if phase != Ready {
		writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: phase.String(), Version: s.version})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	err := s.pingWithin(ctx)
	if err == nil {
		writeJSON(w, http.StatusOK, healthResponse{Status: phase.String(), Version: s.version})
		return
	}
	msg := "store: not reachable; see the offboard log"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("store: no answer within %s", healthTimeout)
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed",
		slog.String("request_id", RequestID(r.Context())), slog.String("err", err.Error()))
	writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "unavailable", Version: s.version, Error: msg})
}
