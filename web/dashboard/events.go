package dashboard

import (
	"strings"

	"github.com/offboard-dev/offboard"
)

// The audit chain records machine words ("task.started", "system:runner",
// "ok") that exports and filters rely on; the pages say them in plain
// words and keep the code as the cell's title for those who search by it.

// actionWords says an audit action for people: "task.started" is "Task
// started", "case.access_revoked" "Case access revoked".
func actionWords(action string) string {
	w := strings.TrimSpace(strings.NewReplacer(".", " ", "_", " ").Replace(action))
	if w == "" {
		return action
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// actorWords names who acted: a person by name and email, offboard's own
// parts as "offboard (runner)", an API token as "API token ci".
func actorWords(a offboard.Actor) string {
	switch a.Kind {
	case offboard.ActorSystem:
		if a.ID == "" {
			return "offboard"
		}
		return "offboard (" + a.ID + ")"
	case offboard.ActorAPI:
		return "API token " + a.ID
	}
	return a.String()
}

// outcomeWords says an audit outcome: "ok" is "OK", the rest capitalised.
func outcomeWords(outcome string) string {
	if outcome == offboard.OutcomeOK {
		return "OK"
	}
	return actionWords(outcome)
}
