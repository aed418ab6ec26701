package connectors

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/offboard-dev/offboard"
)

// actionIDPattern is the shape of an action id: "name.verb".
var actionIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)

// ValidActionID reports whether id looks like "name.verb" or is "manual".
func ValidActionID(id string) bool {
	return id == offboard.ActionManual || actionIDPattern.MatchString(id)
}

// ConnectorOf returns the connector part of an action id: "name" for
// "name.verb", "manual" for "manual".
func ConnectorOf(id string) string {
	name, _, _ := strings.Cut(id, ".")
	return name
}

// Registry maps action ids to actions. Build one in the wiring; it is safe
// for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	actions map[string]entry
	// declared are the connectors' declarations, in registration order:
	// the playbook is assembled from them.
	declared offboard.Connectors
}

type entry struct {
	action     Action
	connector  string
	configured bool
	why        string
}

// ConnectorStatus says whether a connector is configured, for the startup
// log and the health page.
type ConnectorStatus struct {
	Connector  string
	Configured bool
	// Why says what to configure when Configured is false.
	Why string
	// Actions are the connector's action ids, sorted.
	Actions []string
	// Capabilities are what its declaration says it implements, in the
	// safe order; none for a connector registered without one (manual).
	Capabilities []offboard.Capability
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{actions: map[string]entry{}}
}

// Register adds an action under id, which must look like "name.verb"
// (or be "manual"). An id registered before, configured or not, is an
// error.
func (r *Registry) Register(id string, a Action) error {
	if !ValidActionID(id) {
		return fmt.Errorf("connectors: action id %q must look like name.verb (lowercase) or be %q", id, offboard.ActionManual)
	}
	if a == nil {
		return fmt.Errorf("connectors: action %q is nil", id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.actions[id]; dup {
		return fmt.Errorf("connectors: action %q is registered twice", id)
	}
	r.actions[id] = entry{action: a, connector: ConnectorOf(id), configured: true}
	return nil
}

// RegisterUnconfigured registers the actions of a connector that is not
// configured. Each id resolves to an action that fails permanently
// (EINVALID) with the message why, such as "X is not configured: set
// x.url and x.api_token", so playbooks naming the actions still
// validate and their tasks fail saying what to do.
//
// A wiring mistake is a programming error: RegisterUnconfigured panics if
// an id is invalid or already registered.
func (r *Registry) RegisterUnconfigured(connector string, ids []string, why string) {
	msg := why
	if strings.TrimSpace(msg) == "" {
		msg = connector + " is not configured"
	}
	fail := ActionFunc(func(context.Context, Request) (Result, error) {
		return Result{}, &offboard.Error{Code: offboard.EINVALID, Message: msg}
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if !ValidActionID(id) {
			panic(fmt.Sprintf("connectors: unconfigured action id %q must look like name.verb", id))
		}
		if _, dup := r.actions[id]; dup {
			panic(fmt.Sprintf("connectors: action %q is registered twice", id))
		}
		r.actions[id] = entry{action: fail, connector: connector, why: msg}
	}
}

// RegisterConnector registers a configured connector: its declaration
// (what it implements) and an action for each of its action ids. A
// declaration that does not validate, an action missing or not declared,
// or a connector or action registered before, is an error.
func (r *Registry) RegisterConnector(c offboard.Connector, actions map[string]Action) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("connectors: %w", err)
	}
	for id := range actions {
		if !c.Owns(id) {
			return fmt.Errorf("connectors: %s: action %q is not declared", c.Name, id)
		}
	}
	for _, id := range c.Actions {
		if actions[id] == nil {
			return fmt.Errorf("connectors: %s: no action for %q", c.Name, id)
		}
	}
	if err := r.declare(c); err != nil {
		return err
	}
	for _, id := range c.Actions {
		if err := r.Register(id, actions[id]); err != nil {
			return err
		}
	}
	return nil
}

// DeclareConnector records the declaration of a connector whose actions
// are registered some other way (a test's fakes) or not at all: every
// declared action id not registered yet fails permanently with why, as
// RegisterUnconfigured does. The connector's capabilities stay in the
// playbook either way, so an unconfigured connector's tasks fail saying
// what to configure instead of silently vanishing.
func (r *Registry) DeclareConnector(c offboard.Connector, why string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("connectors: %w", err)
	}
	if err := r.declare(c); err != nil {
		return err
	}
	var missing []string
	for _, id := range c.Actions {
		if !r.Known(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		r.RegisterUnconfigured(c.Name, missing, why)
	}
	return nil
}

func (r *Registry) declare(c offboard.Connector) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.declared.Named(c.Name); dup {
		return fmt.Errorf("connectors: connector %q is declared twice", c.Name)
	}
	r.declared = append(r.declared, c)
	return nil
}

// Declared reports whether a connector called name was declared.
func (r *Registry) Declared(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.declared.Named(name)
	return ok
}

// Connectors returns the declarations, in registration order. It fits
// flows.Options.Connectors.
func (r *Registry) Connectors() offboard.Connectors {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.declared)
}

// Lookup returns the action registered under id.
func (r *Registry) Lookup(id string) (Action, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.actions[id]
	return e.action, ok
}

// Known reports whether id is registered, configured or not. It fits
// flows.Options.KnownAction.
func (r *Registry) Known(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.actions[id]
	return ok
}

// IDs returns every registered action id, sorted.
func (r *Registry) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, 0, len(r.actions))
	for id := range r.actions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Status returns one entry per connector, sorted by name. A connector
// with any unconfigured action is reported as not configured.
func (r *Registry) Status() []ConnectorStatus {
	r.mu.RLock()
	defer r.mu.RUnlock()
	byName := map[string]*ConnectorStatus{}
	for id, e := range r.actions {
		s, ok := byName[e.connector]
		if !ok {
			s = &ConnectorStatus{Connector: e.connector, Configured: true}
			byName[e.connector] = s
		}
		s.Actions = append(s.Actions, id)
		if !e.configured {
			s.Configured, s.Why = false, e.why
		}
	}
	out := make([]ConnectorStatus, 0, len(byName))
	for _, s := range byName {
		slices.Sort(s.Actions)
		if c, ok := r.declared.Named(s.Connector); ok {
			for _, b := range c.Bindings {
				s.Capabilities = append(s.Capabilities, b.Capability)
			}
			slices.SortFunc(s.Capabilities, func(a, b offboard.Capability) int { return a.Rank() - b.Rank() })
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b ConnectorStatus) int { return strings.Compare(a.Connector, b.Connector) })
	return out
}
