package flows

import (
	"fmt"
	"maps"
	"strings"

	"github.com/offboard-dev/offboard"
)

// A task's secrets (a lock PIN) live on the stored task and nowhere else:
// views and results carry offboard.SecretSet in their place, the audit
// chain names them without values, and RevealSecrets is the one way a
// value leaves the engine, to someone who may run the task.

// keepSecrets merges an action's secrets into its task by name: a new
// lock of the same device replaces its PIN, and a follow-up run that
// reports none keeps those the first run handed over.
func keepSecrets(t *offboard.Task, s offboard.Secrets) bool {
	if len(s) == 0 {
		return false
	}
	if t.Secrets == nil {
		t.Secrets = offboard.Secrets{}
	}
	changed := false
	for k, v := range s {
		if t.Secrets[k] != v {
			t.Secrets[k], changed = v, true
		}
	}
	return changed
}

// secretNames is the audit's note of which secrets a result handed over.
func secretNames(s offboard.Secrets) string { return strings.Join(s.Names(), ", ") }

// blankSecrets removes secret values a connector let slip into its
// summary or evidence; the values are kept apart on the task.
func blankSecrets(c offboard.ActionSucceeded) offboard.ActionSucceeded {
	if len(c.Secrets) == 0 {
		return c
	}
	blank := func(s string) string {
		for _, v := range c.Secrets {
			if v != "" {
				s = strings.ReplaceAll(s, v, "[secret]")
			}
		}
		return s
	}
	c.Summary = blank(c.Summary)
	if c.Evidence != nil {
		ev := make(map[string]string, len(c.Evidence))
		for k, v := range c.Evidence {
			ev[blank(k)] = blank(v)
		}
		c.Evidence = ev
	}
	return c
}

// hideSecrets puts offboard.SecretSet in place of every value, on tasks
// about to leave the engine.
func hideSecrets(tasks []*offboard.Task) {
	for _, t := range tasks {
		t.Secrets = t.Secrets.Hidden()
	}
}

// dropSecrets forgets the secrets of a case's tasks: the case completed,
// so no one will need a device's PIN from offboard again. The audit says
// which went, never what they were.
func (d *decision) dropSecrets(cs *offboard.Case, tasks []*offboard.Task) error {
	for _, t := range tasks {
		if len(t.Secrets) == 0 {
			continue
		}
		names := secretNames(t.Secrets)
		t.Secrets = nil
		if err := d.putTask(t); err != nil {
			return err
		}
		if err := d.audit(cs.ID, "secret.dropped", t.Key, offboard.OutcomeOK,
			"the case completed; offboard no longer keeps "+names, map[string]string{"secrets": names}); err != nil {
			return err
		}
	}
	return nil
}

// revealSecrets gives a task's secrets to someone who may run the task,
// auditing each name it gives out. Anyone else is refused, and the
// refusal is audited like every other.
func (d *decision) revealSecrets(c offboard.RevealSecrets) (*offboard.Result, error) {
	cs, err := d.loadCase(c.CaseID)
	if err != nil {
		return nil, err
	}
	t, err := d.loadTask(cs, c.TaskKey)
	if err != nil {
		return nil, err
	}
	if err := offboard.CanRunTask(d.actor, cs, t, d.e.depts); err != nil {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "%s (the secrets of %q are shown only to those who may run it)", offboard.ErrorMessage(err), t.Title)
	}
	if len(t.Secrets) == 0 {
		why := "it holds none"
		if cs.Status == offboard.CaseCompleted {
			why = "the case completed and offboard no longer keeps them"
		}
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no secrets on %q of %s: %s", t.Title, cs.ID, why)
	}
	for _, name := range t.Secrets.Names() {
		if err := d.audit(cs.ID, "secret.viewed", t.Key, offboard.OutcomeOK,
			fmt.Sprintf("%s was shown the %s", d.actor, offboard.SecretLabel(name)),
			map[string]string{"secret": name}); err != nil {
			return nil, err
		}
	}
	res, err := d.result(cs, fmt.Sprintf("%s of %q shown to %s", offboard.Count(len(t.Secrets), "secret", ""), t.Title, d.actor))
	if err != nil {
		return nil, err
	}
	res.Secrets = maps.Clone(t.Secrets)
	return res, nil
}
