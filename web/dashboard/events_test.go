package dashboard

import (
	"testing"

	"github.com/offboard-dev/offboard"
)

// The timeline and the audit page say what happened in words; the chain's
// codes stay in exports (and in the cell's title).
func TestToEventRow_Words(t *testing.T) {
	tests := []struct {
		e                      offboard.AuditEvent
		actor, action, outcome string
	}{
		{offboard.AuditEvent{Actor: offboard.System("runner"), Action: "task.started", Outcome: offboard.OutcomeOK},
			"offboard (runner)", "Task started", "OK"},
		{offboard.AuditEvent{Actor: offboard.Actor{Kind: offboard.ActorPerson, Email: "hana.hr@example.com", Name: "Hana Hr"},
			Action: "case.access_revoked", Outcome: offboard.OutcomeRefused},
			"Hana Hr <hana.hr@example.com>", "Case access revoked", "Refused"},
		{offboard.AuditEvent{Actor: offboard.Actor{Kind: offboard.ActorAPI, ID: "ci"}, Action: "approval.requested", Outcome: offboard.OutcomeUnverified},
			"API token ci", "Approval requested", "Unverified"},
	}
	for _, tt := range tests {
		r := toEventRow(&tt.e)
		if r.Actor != tt.actor || r.Action != tt.action || r.Outcome != tt.outcome {
			t.Errorf("%s by %v: got %q / %q / %q, want %q / %q / %q", tt.e.Action, tt.e.Actor, r.Actor, r.Action, r.Outcome, tt.actor, tt.action, tt.outcome)
		}
		if r.ActionCode != tt.e.Action || r.OutcomeCode != tt.e.Outcome {
			t.Errorf("%s: the codes are lost: %q %q", tt.e.Action, r.ActionCode, r.OutcomeCode)
		}
	}
}
