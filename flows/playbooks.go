package flows

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/offboard-dev/offboard"
)

//go:embed playbooks/default.yaml
var defaultPlaybookYAML []byte

// DefaultPlaybookName is the name of the built-in playbook.
const DefaultPlaybookName = "default"

// DefaultPlaybook parses the embedded default playbook.
func DefaultPlaybook() (offboard.Playbook, error) {
	return ParsePlaybook(defaultPlaybookYAML)
}

// ParsePlaybook decodes one playbook strictly: unknown keys are errors.
func ParsePlaybook(b []byte) (offboard.Playbook, error) {
	var p offboard.Playbook
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("playbook: %w", err)
	}
	return p, nil
}

// ResolvePlaybooks merges the built-in playbook with the configured ones
// and validates the result. A configured playbook named "default"
// changes the built-in one: its tasks replace tasks with the same key or
// are added, and Remove drops tasks. Other playbooks start empty or from
// Extends. Capability tasks become one task per connector implementing
// them (see assemble.go) before the merge, so overrides and removals
// work on the keys people see. Errors name the playbook and the task.
func ResolvePlaybooks(configured []offboard.Playbook, connectors offboard.Connectors, knownAction func(string) bool, depts offboard.Departments) (map[string]*offboard.Playbook, error) {
	builtin, err := DefaultPlaybook()
	if err != nil {
		return nil, err
	}
	var replaced map[string][]string
	builtin.Tasks, replaced, err = expandCapabilities(builtin.Name, builtin.Tasks, connectors)
	if err != nil {
		return nil, err
	}
	byName := map[string]offboard.Playbook{}
	var order []string
	for _, p := range configured {
		if _, dup := byName[p.Name]; dup {
			return nil, offboard.Errorf(offboard.EINVALID, "playbook %q is defined twice", p.Name)
		}
		byName[p.Name] = p
		order = append(order, p.Name)
	}
	out := map[string]*offboard.Playbook{}
	var resolve func(name string, seen []string) (*offboard.Playbook, error)
	resolve = func(name string, seen []string) (*offboard.Playbook, error) {
		if p, ok := out[name]; ok {
			return p, nil
		}
		if slices.Contains(seen, name) {
			return nil, offboard.Errorf(offboard.EINVALID, "playbook %q extends itself through %v", name, seen)
		}
		p, configuredHere := byName[name]
		var base *offboard.Playbook
		switch {
		case name == DefaultPlaybookName:
			b := builtin
			base = &b
		case !configuredHere:
			return nil, offboard.Errorf(offboard.EINVALID, "unknown playbook %q", name)
		case p.Extends != "":
			if base, err = resolve(p.Extends, append(seen, name)); err != nil {
				return nil, err
			}
		}
		merged := offboard.Playbook{Name: name, Kinds: p.Kinds}
		if base != nil {
			merged.Tasks = slices.Clone(base.Tasks)
			if merged.Kinds == nil {
				merged.Kinds = base.Kinds
			}
		}
		tasks, ownReplaced, err := expandCapabilities(name, p.Tasks, connectors)
		if err != nil {
			return nil, err
		}
		has := func(key string) bool {
			return slices.ContainsFunc(merged.Tasks, func(x offboard.TaskTemplate) bool { return x.Key == key })
		}
		// takenOver is the system tasks that replaced an inherited manual
		// fallback called key, when they are in this playbook.
		takenOver := func(key string) []string {
			if has(key) {
				return nil
			}
			return slices.DeleteFunc(slices.Clone(replaced[key]), func(k string) bool { return !has(k) })
		}
		for _, t := range tasks {
			if keys := takenOver(t.Key); len(keys) > 0 {
				// An override of the manual handover now a system does it:
				// which of the two people meant is not obvious.
				return nil, offboard.Errorf(offboard.EINVALID,
					"playbook %q task %q: the built-in %q is done by %s now that a configured system implements %s; override or remove %s instead",
					name, t.Key, t.Key, strings.Join(keys, ", "), capabilityOfKey(merged.Tasks, keys[0]), strings.Join(keys, ", "))
			}
			if i := slices.IndexFunc(merged.Tasks, func(x offboard.TaskTemplate) bool { return x.Key == t.Key }); i >= 0 {
				if old := merged.Tasks[i]; old.Capability != "" && old.Action == offboard.ActionManual && t.Capability == "" {
					// A manual task replacing the manual fallback still
					// stands for its capability in after lists.
					if _, _, owned := connectors.Owner(t.Action); !owned {
						t.Capability = old.Capability
					}
				}
				merged.Tasks[i] = t
			} else {
				merged.Tasks = append(merged.Tasks, t)
			}
		}
		for k, v := range ownReplaced {
			replaced[k] = v
		}
		var removedKeys []string
		for _, key := range p.Remove {
			keys := []string{key}
			if over := takenOver(key); len(over) > 0 {
				// Removing the manual handover removes what took it over:
				// "no Drive transfer" whoever would have done it.
				keys = over
			}
			for _, k := range keys {
				i := slices.IndexFunc(merged.Tasks, func(x offboard.TaskTemplate) bool { return x.Key == k })
				if i < 0 {
					return nil, offboard.Errorf(offboard.EINVALID, "playbook %q: remove names unknown task %q", name, key)
				}
				merged.Tasks = slices.Delete(merged.Tasks, i, i+1)
				removedKeys = append(removedKeys, k)
			}
		}
		// Tasks that waited on a removed task no longer wait for it.
		removed := func(dep string) bool {
			return !has(dep) && slices.Contains(removedKeys, dep)
		}
		for i, t := range merged.Tasks {
			merged.Tasks[i].After = slices.DeleteFunc(slices.Clone(t.After), removed)
			merged.Tasks[i].AfterIfReady = slices.DeleteFunc(slices.Clone(t.AfterIfReady), removed)
		}
		resolveAfter(merged.Tasks, connectors)
		linkActiveAccountNeeds(merged.Tasks, connectors)
		if err := merged.Validate(knownAction, depts); err != nil {
			return nil, err
		}
		out[name] = &merged
		return &merged, nil
	}
	if _, err := resolve(DefaultPlaybookName, nil); err != nil {
		return nil, err
	}
	for _, name := range order {
		if _, err := resolve(name, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// capabilityOfKey is the capability of the task called key.
func capabilityOfKey(tasks []offboard.TaskTemplate, key string) offboard.Capability {
	for _, t := range tasks {
		if t.Key == key {
			return t.Capability
		}
	}
	return ""
}
