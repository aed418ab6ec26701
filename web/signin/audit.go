package signin

import (
	"context"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// Refused sign-ins are recorded in the audit chain, but anyone can cause
// one, so at most refusalBurst per refusalWindow are written; the rest
// are counted and the next written one says how many were left out.
const (
	refusalBurst  = 20
	refusalWindow = time.Minute
)

// record appends an event to the audit chain when Options.Audit is set;
// a failure is logged, never shown to the person.
func (a *Auth) record(ctx context.Context, e offboard.AuditEvent) {
	if a.o.Audit == nil {
		return
	}
	e.Time = a.o.Clock.Now()
	if err := a.o.Audit.Append(ctx, e); err != nil {
		a.o.Logger.ErrorContext(ctx, "signin: writing the audit event failed", "action", e.Action, "err", err)
	}
}

// recordRefusal audits a refused sign-in, within the rate.
func (a *Auth) recordRefusal(ctx context.Context, status int, reason string) {
	now := a.o.Clock.Now()
	a.mu.Lock()
	if now.Sub(a.refusalsSince) >= refusalWindow {
		a.refusalsSince, a.refusalsWritten = now, 0
	}
	if a.refusalsWritten >= refusalBurst {
		a.refusalsDropped++
		a.mu.Unlock()
		return
	}
	a.refusalsWritten++
	dropped := a.refusalsDropped
	a.refusalsDropped = 0
	a.mu.Unlock()
	detail := reason
	if dropped > 0 {
		detail = fmt.Sprintf("%s (and %d more refused sign-ins not written one by one)", reason, dropped)
	}
	a.record(ctx, offboard.AuditEvent{Actor: offboard.System("signin"), Action: "signin.refused",
		Outcome: offboard.OutcomeRefused, Detail: detail, Evidence: map[string]string{"status": fmt.Sprint(status), "issuer": a.o.Issuer}})
}
