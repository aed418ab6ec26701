package flows

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/offboard-dev/offboard"
)

// Restoring access after a cancellation. A case cancelled after its
// revocations took effect ("termination rescinded") must not leave the
// person suspended with nobody told: IT gets a Restore task per identity
// system, on its card, that runs on the cancelled case. The same happens
// when a revocation that was already running at the cancel completes
// afterwards.

// tookEffect reports whether an automated revocation ran on the account.
// Unverified counts: the action ran, and only the read-back disagreed.
func tookEffect(t *offboard.Task) bool {
	return !t.Restore && !t.Manual() && t.Priority == offboard.PriorityRevocation &&
		(t.Status == offboard.TaskDone || t.Status == offboard.TaskUnverified)
}

func vendorOf(action string) string {
	v, _, _ := strings.Cut(action, ".")
	return v
}

// restoreKey is the task key of the n-th restore task of a vendor.
func restoreKey(vendor string, n int) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(vendor))
	if n <= 1 {
		return "restore_" + clean
	}
	return fmt.Sprintf("restore_%s_%d", clean, n)
}

// ensureRestore adds or refreshes the restore tasks of a cancelled case.
// At the cancel, trigger is nil; when a revocation completes afterwards it
// is that task, and only its system is looked at (a restore already done
// then gets a successor: the account was revoked again after it).
func (d *decision) ensureRestore(cs *offboard.Case, tasks []*offboard.Task, trigger *offboard.Task) error {
	if cs.Status != offboard.CaseCancelled {
		return nil
	}
	revoked := map[string][]*offboard.Task{}
	for _, t := range tasks {
		if tookEffect(t) {
			revoked[vendorOf(t.Action)] = append(revoked[vendorOf(t.Action)], t)
		}
	}
	vendors := make([]string, 0, len(revoked))
	for v := range revoked {
		if trigger == nil || v == vendorOf(trigger.Action) {
			vendors = append(vendors, v)
		}
	}
	slices.Sort(vendors)
	for _, v := range vendors {
		n, latest := 0, (*offboard.Task)(nil)
		for _, t := range tasks {
			if t.Restore && (t.Key == restoreKey(v, 1) || strings.HasPrefix(t.Key, restoreKey(v, 1)+"_")) {
				n++
				latest = t
			}
		}
		note := d.restoreNote(v, revoked[v])
		switch {
		case latest != nil && latest.Status == offboard.TaskRunning:
			continue // its result decides; a later revocation shows in its evidence
		case latest != nil && !latest.Status.Settled():
			if latest.Note != note {
				latest.Note = note
				if err := d.putTask(latest); err != nil {
					return err
				}
			}
			continue
		case latest != nil && trigger == nil:
			continue
		}
		t := d.newRestoreTask(cs, v, restoreKey(v, n+1), len(tasks), revoked[v], note)
		if err := d.putTask(t); err != nil {
			return err
		}
		keys := make([]string, len(revoked[v]))
		for i, r := range revoked[v] {
			keys[i] = r.Key
		}
		if err := d.audit(cs.ID, "task.restore_needed", t.Key, offboard.OutcomeOK,
			fmt.Sprintf("%s was cancelled after access was revoked in %s; IT must restore it", cs.ID, d.vendorLabel(v)),
			map[string]string{"revoked": strings.Join(keys, ", "), "action": t.Action, "note": note}); err != nil {
			return err
		}
		if err := d.notify(offboard.Notice{Kind: offboard.NoticeRestoreNeeded, CaseID: cs.ID, TaskKey: t.Key, Department: offboard.DeptIT,
			Text: fmt.Sprintf("%s for %s was cancelled after access was revoked in %s: IT, restore it (%q on the IT card)",
				cs.ID, cs.Employee.DisplayName(), d.vendorLabel(v), t.Title)}); err != nil {
			return err
		}
	}
	return nil
}

func (d *decision) newRestoreTask(cs *offboard.Case, vendor, key string, order int, revoked []*offboard.Task, note string) *offboard.Task {
	// The identity.restore binding of the system whose revocations it
	// undoes; a system that cannot restore (or is not registered) gets a
	// task a person does by hand.
	var action, title, button string
	if _, b, ok := d.e.connectors.RestoreFor(revoked[0].Action); ok && (d.e.knownAction == nil || d.e.knownAction(b.Action)) {
		action, title, button = b.Action, b.Title, b.Button
	} else {
		action, title = offboard.ActionManual, fmt.Sprintf("Restore %s access by hand", d.vendorLabel(vendor))
	}
	params := map[string]string{}
	// The account the revocations acted on, so the restore finds the same
	// one even if the email changed meanwhile.
	for _, r := range revoked {
		if id := r.Evidence[vendor+"_user_id"]; id != "" {
			params[vendor+"_user"] = id
			break
		}
		if ref := r.Params[vendor+"_user"]; ref != "" {
			params[vendor+"_user"] = ref
			break
		}
	}
	return &offboard.Task{
		CaseID: cs.ID, Key: key, Order: order, Department: offboard.DeptIT, Title: title,
		Action: action, Button: button, Params: params, Priority: offboard.PriorityRevocation,
		Status: offboard.TaskPending, Restore: true, Note: note,
	}
}

// restoreNote tells IT what was revoked, what the restore does, and what
// it cannot bring back.
func (d *decision) restoreNote(vendor string, revoked []*offboard.Task) string {
	var did, lost []string
	for _, r := range revoked {
		did = append(did, fmt.Sprintf("%s (%s)", r.Title, r.Status))
		_, c, _ := d.e.connectors.Owner(r.Action)
		if l := offboard.Irreversible(c, r.Action); l != "" && !slices.Contains(lost, l) {
			lost = append(lost, l)
		}
	}
	note := fmt.Sprintf("The case was cancelled after these took effect in %s: %s. Restoring lifts the suspension, or reactivates a deactivated account without emailing the person (IT hands over the activation).",
		d.vendorLabel(vendor), strings.Join(did, ", "))
	if len(lost) > 0 {
		note += " It cannot bring back: " + strings.Join(lost, "; ") + "."
	}
	return note
}

// vendorLabel names a system for people: its declared label, else its
// name capitalised.
func (d *decision) vendorLabel(v string) string {
	if s, ok := d.e.connectors.Named(v); ok {
		return s.Label
	}
	if v == "" {
		return "the identity system"
	}
	r := []rune(v)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
