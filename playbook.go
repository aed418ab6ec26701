package offboard

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Playbook is the list of tasks a case gets when it opens. The embedded
// default lives in flows; config may override it or add others.
type Playbook struct {
	// Name identifies the playbook; "default" is the built-in one.
	Name string `yaml:"name" json:"name"`
	// Extends names a playbook whose tasks this one starts from.
	Extends string `yaml:"extends,omitempty" json:"extends,omitempty"`
	// Kinds are the departure kinds this playbook is chosen for.
	Kinds []DepartureKind `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	// Tasks are added, or replace the task with the same key in Extends.
	Tasks []TaskTemplate `yaml:"tasks,omitempty" json:"tasks,omitempty"`
	// Remove drops tasks inherited from Extends by key.
	Remove []string `yaml:"remove,omitempty" json:"remove,omitempty"`
}

// TaskTemplate describes one task of a playbook.
type TaskTemplate struct {
	Key        string     `yaml:"key" json:"key"`
	Department Department `yaml:"department" json:"department"`
	Title      string     `yaml:"title" json:"title"`
	// Capability names what the task does whatever the system
	// ("identity.suspend"); the playbook's assembly turns it into one task
	// per connector implementing it, in the safe order, with the action,
	// title and priority of the connector's binding. Key may then hold
	// "{system}" ("{system}_suspend", the default: "<system>_<verb>").
	Capability Capability `yaml:"capability,omitempty" json:"capability,omitempty"`
	// Fallback "manual" keeps a capability task as a manual task, under
	// Key and Title, while no configured system implements the capability
	// (the data handover: IT moves the files by hand). Once a system
	// implements it, the system's task replaces the manual one, keyed
	// "<system>_<verb>"; Key then names only the manual task.
	Fallback string `yaml:"fallback,omitempty" json:"fallback,omitempty"`
	// Action is a connector action id ("name.verb") or "manual"; a
	// capability task takes it from the binding.
	Action string            `yaml:"action,omitempty" json:"action"`
	Params map[string]string `yaml:"params,omitempty" json:"params,omitempty"`
	// When the task becomes actionable: "on_open", "at_last_day" (the
	// revocation point: at once for involuntary exits), or an offset after
	// the revocation point such as "30d".
	When string `yaml:"when,omitempty" json:"when,omitempty"`
	// After lists tasks that must be done or skipped first. With MaxWait
	// the task runs anyway once MaxWait has passed since the revocation
	// point (account deactivation waits for the data transfers this way).
	// A capability ("identity.suspend") stands for every task of it.
	After   []string `yaml:"after,omitempty" json:"after,omitempty"`
	MaxWait Duration `yaml:"max_wait,omitempty" json:"max_wait,omitempty"`
	// AfterIfReady lists tasks this one lets go first only when they are
	// about to run anyway: approved (or needing no approval) and due now,
	// their job queued or running. It never waits for a pending approval,
	// and at most MaxReadyWait after it became ready. A suspend waits
	// this way for a mail handover the vendor refuses once the account is
	// suspended, without letting an unanswered approval delay revocation.
	AfterIfReady []string `yaml:"after_if_ready,omitempty" json:"after_if_ready,omitempty"`
	// Approval names who must approve before the task may run: "manager"
	// (the departing person's manager), "it_two" (two distinct people of
	// IT, neither the requester nor the person leaving: a wipe), or
	// "legal" (one person of Legal, neither the requester nor the person
	// leaving; a no skips the task: a legal hold).
	Approval string `yaml:"approval,omitempty" json:"approval,omitempty"`
	// Question is what the approver is asked.
	Question string `yaml:"question,omitempty" json:"question,omitempty"`
	// Priority orders outbox jobs: revocation, device, chat, report.
	Priority Priority `yaml:"priority,omitempty" json:"priority,omitempty"`
	// Due is how long people have once the task is actionable.
	Due Duration `yaml:"due,omitempty" json:"due,omitempty"`
	// Optional tasks do not hold the case open.
	Optional bool `yaml:"optional,omitempty" json:"optional,omitempty"`
	// Track names what a manual task records in a form before it is done:
	// "device_return" (shipping reference, received, wiped).
	Track string `yaml:"track,omitempty" json:"track,omitempty"`
	// Button is the run button's label, from the binding of the task's
	// action; not configurable.
	Button string `yaml:"-" json:"-"`
}

// Task "when" values.
const (
	WhenOnOpen    = "on_open"
	WhenAtLastDay = "at_last_day"
)

// MaxReadyWait is the longest a task waits for the tasks of its
// AfterIfReady: long enough for one vendor call (a mail delegation takes
// about a second), short enough that revocation is never really delayed.
const MaxReadyWait = 2 * time.Minute

// ActionManual is the action of a task a person does and marks done.
const ActionManual = "manual"

// FallbackManual is the one TaskTemplate.Fallback: a person does the task
// while no system can.
const FallbackManual = "manual"

var taskKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Validate checks a resolved playbook (after Extends was applied). Each
// problem names the task. knownAction reports whether an action id exists;
// nil skips that check. depts is the configured set a task's department
// must be in.
func (p *Playbook) Validate(knownAction func(string) bool, depts Departments) error {
	var errs []string
	if p.Name == "" {
		errs = append(errs, "playbook has no name")
	}
	if len(p.Tasks) == 0 {
		errs = append(errs, fmt.Sprintf("playbook %q has no tasks", p.Name))
	}
	seen := map[string]bool{}
	for i, t := range p.Tasks {
		where := fmt.Sprintf("playbook %q task %q", p.Name, t.Key)
		if t.Key == "" {
			where = fmt.Sprintf("playbook %q task #%d", p.Name, i+1)
		}
		for _, msg := range t.problems(knownAction, depts) {
			errs = append(errs, where+": "+msg)
		}
		if seen[t.Key] {
			errs = append(errs, where+": duplicate key")
		}
		seen[t.Key] = true
	}
	for _, t := range p.Tasks {
		for _, list := range []struct {
			field string
			deps  []string
		}{{"after", t.After}, {"after_if_ready", t.AfterIfReady}} {
			field := list.field
			for _, dep := range list.deps {
				if !seen[dep] {
					errs = append(errs, fmt.Sprintf("playbook %q task %q: %s names unknown task %q", p.Name, t.Key, field, dep))
				}
				if dep == t.Key {
					errs = append(errs, fmt.Sprintf("playbook %q task %q: waits for itself", p.Name, t.Key))
				}
			}
		}
	}
	if cyc := p.cycle(); cyc != "" {
		errs = append(errs, fmt.Sprintf("playbook %q: tasks wait for each other in a circle: %s", p.Name, cyc))
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(errs, "; "))
	}
	return nil
}

func (t TaskTemplate) problems(knownAction func(string) bool, depts Departments) []string {
	var out []string
	if !taskKeyPattern.MatchString(t.Key) {
		out = append(out, "key must be lowercase letters, digits and _ (starting with a letter)")
	}
	if !depts.Has(t.Department) {
		out = append(out, fmt.Sprintf("department %q is not one of %s", t.Department, depts.Join()))
	}
	if strings.TrimSpace(t.Title) == "" {
		out = append(out, "title is empty")
	}
	if t.Capability != "" && !t.Capability.Valid() {
		out = append(out, fmt.Sprintf("unknown capability %q", t.Capability))
	}
	if t.Fallback != "" && t.Fallback != FallbackManual {
		out = append(out, fmt.Sprintf("fallback %q is not supported (want %q)", t.Fallback, FallbackManual))
	}
	if t.Fallback != "" && t.Capability == "" {
		out = append(out, "fallback needs a capability (it is what happens while no system implements one)")
	}
	if t.Action == "" {
		out = append(out, `action is empty (use "manual" for a task a person does)`)
	} else if knownAction != nil && !knownAction(t.Action) {
		out = append(out, fmt.Sprintf("unknown action %q", t.Action))
	}
	if _, err := ParseWhen(t.When); err != nil {
		out = append(out, err.Error())
	}
	if t.Approval != "" && !slices.Contains(ApprovalKinds, t.Approval) {
		out = append(out, fmt.Sprintf("approval %q is not supported (want %s)", t.Approval, strings.Join(ApprovalKinds, ", ")))
	}
	if t.Priority != "" && !t.Priority.Valid() {
		out = append(out, fmt.Sprintf("priority %q is not one of revocation, device, chat, report", t.Priority))
	}
	if t.Track != "" && t.Track != TrackDeviceReturn {
		out = append(out, fmt.Sprintf("track %q is not supported (want %q)", t.Track, TrackDeviceReturn))
	}
	if t.Track != "" && t.Action != ActionManual {
		out = append(out, "track needs a manual task (a person records what happened)")
	}
	if t.MaxWait > 0 && len(t.After) == 0 {
		out = append(out, "max_wait needs after")
	}
	return out
}

func (p *Playbook) cycle() string {
	deps := map[string][]string{}
	for _, t := range p.Tasks {
		// A soft wait (after_if_ready) in a circle would still hold each
		// task up to its limit for nothing: refused like a hard one.
		deps[t.Key] = append(slices.Clone(t.After), t.AfterIfReady...)
	}
	const (
		unvisited = 0
		visiting  = 1
		finished  = 2
	)
	state := map[string]int{}
	var path []string
	var found string
	var visit func(k string) bool
	visit = func(k string) bool {
		switch state[k] {
		case visiting:
			i := slices.Index(path, k)
			found = strings.Join(append(slices.Clone(path[i:]), k), " → ")
			return true
		case finished:
			return false
		}
		state[k] = visiting
		path = append(path, k)
		for _, d := range deps[k] {
			if visit(d) {
				return true
			}
		}
		path = path[:len(path)-1]
		state[k] = finished
		return false
	}
	for _, t := range p.Tasks {
		if state[t.Key] == unvisited && visit(t.Key) {
			return found
		}
	}
	return ""
}

// When is a parsed TaskTemplate.When.
type When struct {
	OnOpen bool
	// Offset after the revocation point; zero with OnOpen false means at
	// the revocation point itself.
	Offset Duration
}

// ParseWhen parses "on_open", "at_last_day" (also ""), or an offset after
// the revocation point ("30d", "+30d", "36h").
func ParseWhen(s string) (When, error) {
	switch s {
	case WhenOnOpen:
		return When{OnOpen: true}, nil
	case "", WhenAtLastDay:
		return When{}, nil
	}
	d, err := ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return When{}, fmt.Errorf("when %q: want on_open, at_last_day or an offset such as 30d", s)
	}
	return When{Offset: d}, nil
}

// Priority orders outbox jobs. Revocation first: access must go before
// anything else is done.
type Priority string

// Job priorities, most urgent first.
const (
	PriorityRevocation Priority = "revocation"
	PriorityDevice     Priority = "device"
	PriorityChat       Priority = "chat"
	PriorityReport     Priority = "report"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return p.Rank() >= 0 }

// Rank is the sort order: 0 is served first. Unknown is -1.
func (p Priority) Rank() int {
	switch p {
	case PriorityRevocation:
		return 0
	case PriorityDevice:
		return 1
	case PriorityChat:
		return 2
	case PriorityReport:
		return 3
	}
	return -1
}
