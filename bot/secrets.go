package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/offboard-dev/offboard"
)

// A task's secrets (a lock PIN) never appear on a card: the card says one
// is set and offers a button, and the click answers privately, with the
// values, only someone who may run the task (the engine decides, and
// audits every look).

// revealButton is the button that shows a task's secrets, while the task
// holds any (the engine drops them when the case completes).
func revealButton(c *offboard.Case, t *offboard.Task, depts offboard.Departments) (offboard.Button, bool) {
	if len(t.Secrets) == 0 || c.Status == offboard.CaseCompleted {
		return offboard.Button{}, false
	}
	label := "Show the secret"
	if t.Secrets.HasDevicePIN() {
		label = "Show " + pinWord(t)
	}
	return offboard.Button{Label: label,
		Action: offboard.ActionRef{Verb: offboard.VerbRevealSecret, CaseID: c.ID, TaskKey: t.Key}}, true
}

// secretField says on the card that a secret is kept, and for whom.
func secretField(t *offboard.Task, depts offboard.Departments) offboard.Field {
	pins := 0
	for _, name := range t.Secrets.Names() {
		if strings.HasPrefix(name, offboard.SecretDevicePIN) {
			pins++
		}
	}
	who := depts.Label(t.Department)
	if pins == len(t.Secrets) {
		return offboard.Field{Label: strings.ToUpper(pinWord(t)[:1]) + pinWord(t)[1:], Value: fmt.Sprintf("set for %s; only %s can show it", counted(pins, "device"), who)}
	}
	return offboard.Field{Label: "Secrets", Value: fmt.Sprintf("%s set; only %s can show them", counted(len(t.Secrets), "secret"), who)}
}

// clickRevealSecret asks the engine for the task's secrets and answers
// the clicker alone. A refusal (someone outside IT, the person leaving)
// is private too, and the engine has audited it.
func (r *Router) clickRevealSecret(ctx context.Context, who offboard.Actor, ref offboard.ActionRef) offboard.Reply {
	res, err := r.apply(ctx, offboard.RevealSecrets{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey})
	if err != nil {
		return r.failure(err)
	}
	v := viewOf(res)
	title := ref.TaskKey
	if t := findTask(v, ref.TaskKey); t != nil {
		title = t.Title
	}
	devices := map[string]offboard.Device{}
	for _, snap := range offboard.LatestDevices(v.Tasks) {
		for _, d := range snap.Devices {
			devices[d.ID] = d
		}
	}
	lines := []string{fmt.Sprintf("“%s” for %s — only you see this, and offboard has noted that you looked:",
		title, v.Case.Employee.DisplayName())}
	word := "lock PIN"
	if t := findTask(v, ref.TaskKey); t != nil {
		word = pinWord(t)
	}
	for _, name := range res.Secrets.Names() {
		value := res.Secrets[name]
		id, isPIN := strings.CutPrefix(name, offboard.SecretDevicePIN)
		switch d, known := devices[id]; {
		case isPIN && known:
			lines = append(lines, fmt.Sprintf("• %s · serial %s — %s %s", orDash(d.Model, "device "+id), orDash(d.Serial, "unknown"), word, value))
		case isPIN:
			lines = append(lines, fmt.Sprintf("• device %s — %s %s", id, word, value))
		default:
			lines = append(lines, fmt.Sprintf("• %s: %s", name, value))
		}
	}
	return offboard.Reply{Ephemeral: true, Text: strings.Join(lines, "\n")}
}

// counted is "1 device", "2 devices".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pinWord names a task's device PIN for people, in a sentence: what
// unlocks the device after an erase (a wipe's) or after a lock.
func pinWord(t *offboard.Task) string {
	if _, verb, _ := strings.Cut(t.Action, "."); verb == "wipe" {
		return "erase PIN"
	}
	return "lock PIN"
}
