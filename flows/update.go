package flows

import (
	"fmt"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// updateOpenCase applies a second notice about a person who already has
// an open case: it never opens a second case. It records the delivery,
// takes HR's effective time when it was unknown or earlier, and when the
// new notice says involuntary while the case is voluntary it escalates:
// access goes now, not at the end of the last day.
func (d *decision) updateOpenCase(cs *offboard.Case, c offboard.OpenCase, kind offboard.DepartureKind) (*offboard.Result, error) {
	var changes []string
	if c.DedupeKey != "" {
		if err := d.tx.PutDedupe(c.DedupeKey, cs.ID, d.now); err != nil {
			return nil, err
		}
	}
	if eff := c.EffectiveAt.UTC(); !eff.IsZero() && (cs.EffectiveAt.IsZero() || eff.Before(cs.EffectiveAt)) {
		cs.EffectiveAt = eff
		changes = append(changes, "effective time "+eff.Format(time.RFC3339))
	}
	if note := strings.TrimSpace(c.Notes); note != "" && !strings.Contains(cs.Notes, note) {
		cs.Notes = strings.TrimSpace(cs.Notes + "\n" + note)
		changes = append(changes, "notes")
	}
	escalate := kind.Immediate() && !cs.Kind.Immediate()
	if escalate {
		cs.Kind, cs.Confidential, cs.RevokeAt = offboard.Involuntary, true, d.now
		changes = append(changes, "now involuntary: access goes at once")
	}
	if len(changes) == 0 {
		if err := d.audit(cs.ID, "case.duplicate_notice", c.DedupeKey, offboard.OutcomeOK,
			fmt.Sprintf("%s sent a notice about an open case; nothing changed", c.Source), nil); err != nil {
			return nil, err
		}
		r, err := d.result(cs, fmt.Sprintf("%s is already open for %s", cs.ID, cs.Employee.DisplayName()))
		if r != nil {
			r.Duplicate = true
		}
		return r, err
	}
	if err := d.putCase(cs); err != nil {
		return nil, err
	}
	action := "case.updated"
	if escalate {
		action = "case.escalated"
	}
	if err := d.audit(cs.ID, action, c.DedupeKey, offboard.OutcomeOK,
		fmt.Sprintf("%s: %s", orSource(c.Source), strings.Join(changes, "; ")), nil); err != nil {
		return nil, err
	}
	if escalate {
		// Scheduled revocations are due now; advance runs them.
		tasks, err := d.tx.Tasks(cs.ID)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			if t.Status == offboard.TaskScheduled {
				t.RunAt = nil
				if err := moveTask(t, offboard.TaskPending); err != nil {
					return nil, err
				}
			}
		}
		if err := d.advanceTasks(cs, tasks, false); err != nil {
			return nil, err
		}
		if err := d.notify(offboard.Notice{Kind: offboard.NoticeCaseEscalated, CaseID: cs.ID,
			Text: fmt.Sprintf("%s for %s is now involuntary: access is being revoked", cs.ID, cs.Employee.DisplayName())}); err != nil {
			return nil, err
		}
	}
	r, err := d.result(cs, fmt.Sprintf("%s updated: %s", cs.ID, strings.Join(changes, "; ")))
	if r != nil {
		r.Duplicate = true
	}
	return r, err
}

func orSource(s string) string {
	if s == "" {
		return "a new notice"
	}
	return s
}
