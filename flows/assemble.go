package flows

import (
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
)

// Assembling a playbook from the registered connectors. A playbook names
// what must happen by capability ("identity.suspend"); each capability
// task becomes one task per connector implementing it, in registration
// order, so with the capability tasks listed in the safe order (as the
// built-in playbook does) every identity system is suspended before any
// system's sessions are cleared. A capability nobody implements is
// absent. Keys are "<system>_<verb>" unless the playbook says otherwise,
// so configs that override or remove tasks by key keep working.

// systemPlaceholder in a capability task's key is the connector's name.
const systemPlaceholder = "{system}"

// expandCapabilities returns tasks with each capability task replaced by
// its connectors' tasks, or by its manual fallback while no connector
// implements it. A task that names both a capability and an action is
// refused: which one would run is not obvious. replaced maps the key of
// each manual fallback a system took over to the system tasks' keys.
func expandCapabilities(playbook string, tasks []offboard.TaskTemplate, cs offboard.Connectors) (out []offboard.TaskTemplate, replaced map[string][]string, err error) {
	replaced = map[string][]string{}
	for _, t := range tasks {
		if t.Capability == "" {
			if s, _, ok := cs.Owner(t.Action); ok && t.Button == "" {
				// A task naming a connector's action directly (a config
				// playbook) gets the binding's words too.
				t.Button = buttonOf(s, t.Action)
			}
			out = append(out, t)
			continue
		}
		if !t.Capability.Valid() {
			return nil, nil, offboard.Errorf(offboard.EINVALID, "playbook %q task %q: unknown capability %q (want one of %s)",
				playbook, t.Key, t.Capability, capabilityList())
		}
		if t.Action != "" {
			return nil, nil, offboard.Errorf(offboard.EINVALID, "playbook %q task %q: set capability or action, not both (the capability's connectors bring their actions)",
				playbook, t.Key)
		}
		if err := checkFallback(playbook, t); err != nil {
			return nil, nil, err
		}
		impl := cs.Implementing(t.Capability)
		if len(impl) == 0 && t.Fallback == offboard.FallbackManual {
			// Nobody can: a person does it, as before the capability
			// existed (same key and title, so configs keep working). It
			// keeps its capability, so "after: [data.files]" waits for it.
			x := t
			x.Action = offboard.ActionManual
			x.After, x.AfterIfReady = slices.Clone(t.After), slices.Clone(t.AfterIfReady)
			x.Params = cloneParams(t.Params)
			out = append(out, x)
			continue
		}
		for _, s := range impl {
			b, _ := s.Binding(t.Capability)
			x := t
			x.Key = capabilityKey(t, s.Name, len(impl))
			if t.Fallback != "" {
				x.Key, x.Fallback = s.Name+"_"+t.Capability.Verb(), ""
				replaced[t.Key] = append(replaced[t.Key], x.Key)
			}
			x.Action, x.Button = b.Action, b.Button
			if b.Title != "" {
				x.Title = b.Title
			}
			if b.Priority != "" {
				x.Priority = b.Priority
			}
			if b.When != "" {
				x.When = b.When
			}
			x.After = slices.Clone(t.After)
			x.AfterIfReady = slices.Clone(t.AfterIfReady)
			x.Params = cloneParams(t.Params)
			out = append(out, x)
		}
	}
	return out, replaced, nil
}

// checkFallback refuses a fallback that is not "manual", or a manual
// fallback without a plain key and a title of its own: it is the task
// people see while no system implements the capability.
func checkFallback(playbook string, t offboard.TaskTemplate) error {
	switch {
	case t.Fallback == "":
		return nil
	case t.Fallback != offboard.FallbackManual:
		return offboard.Errorf(offboard.EINVALID, "playbook %q task %q: fallback %q is not supported (want %q)", playbook, t.Key, t.Fallback, offboard.FallbackManual)
	case t.Key == "" || strings.Contains(t.Key, systemPlaceholder):
		return offboard.Errorf(offboard.EINVALID, "playbook %q task for %s: a manual fallback needs a key of its own (not %q)", playbook, t.Capability, t.Key)
	case strings.TrimSpace(t.Title) == "":
		return offboard.Errorf(offboard.EINVALID, "playbook %q task %q: a manual fallback needs a title", playbook, t.Key)
	}
	return nil
}

// capabilityKey is the key of a capability task's copy for one system:
// the key with {system} filled in; "<system>_<verb>" without a key; a
// plain key as it is while one system implements the capability, and
// prefixed with the system's name once several do (keys stay unique).
func capabilityKey(t offboard.TaskTemplate, system string, implementers int) string {
	switch {
	case t.Key == "":
		return system + "_" + t.Capability.Verb()
	case strings.Contains(t.Key, systemPlaceholder):
		return strings.ReplaceAll(t.Key, systemPlaceholder, system)
	case implementers > 1:
		return system + "_" + t.Key
	}
	return t.Key
}

// resolveAfter replaces each capability in the tasks' after (and
// after_if_ready) lists by the keys of the tasks doing it (deactivation
// waits for every system's suspend), and drops a capability no task does.
// Tasks named by key stay.
func resolveAfter(tasks []offboard.TaskTemplate, cs offboard.Connectors) {
	capOf := func(t offboard.TaskTemplate) offboard.Capability {
		if t.Capability != "" {
			return t.Capability
		}
		_, c, _ := cs.Owner(t.Action)
		return c
	}
	resolve := func(self string, deps []string) []string {
		if !slices.ContainsFunc(deps, func(dep string) bool { return offboard.Capability(dep).Valid() }) {
			return deps
		}
		var out []string
		for _, dep := range deps {
			if !offboard.Capability(dep).Valid() {
				out = appendNew(out, dep)
				continue
			}
			for _, o := range tasks {
				if o.Key != self && capOf(o) == offboard.Capability(dep) {
					out = appendNew(out, o.Key)
				}
			}
		}
		return out
	}
	for i, t := range tasks {
		tasks[i].After = resolve(t.Key, t.After)
		tasks[i].AfterIfReady = resolve(t.Key, t.AfterIfReady)
	}
}

// linkActiveAccountNeeds makes each system's identity.suspend task let
// the system's actions that need the account active (a binding with
// NeedsActiveAccount: a mail delegation) go first when they are about to
// run anyway, through after_if_ready. It links one system's tasks only:
// another system's suspend does not touch this system's account.
func linkActiveAccountNeeds(tasks []offboard.TaskTemplate, cs offboard.Connectors) {
	for _, s := range cs {
		suspend, ok := s.Binding(offboard.IdentitySuspend)
		if !ok {
			continue
		}
		var needs []string
		for _, b := range s.Bindings {
			if !b.NeedsActiveAccount {
				continue
			}
			for _, t := range tasks {
				if t.Action == b.Action {
					needs = appendNew(needs, t.Key)
				}
			}
		}
		for i, t := range tasks {
			if t.Action != suspend.Action {
				continue
			}
			for _, k := range needs {
				if k != t.Key {
					tasks[i].AfterIfReady = appendNew(slices.Clone(tasks[i].AfterIfReady), k)
				}
			}
		}
	}
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func buttonOf(s offboard.Connector, action string) string {
	for _, b := range s.Bindings {
		if b.Action == action {
			return b.Button
		}
	}
	return ""
}

func cloneParams(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func capabilityList() string {
	cs := offboard.Capabilities()
	words := make([]string, len(cs))
	for i, c := range cs {
		words[i] = string(c)
	}
	return strings.Join(words, ", ")
}
