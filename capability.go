package offboard

import (
	"fmt"
	"slices"
	"strings"
)

// Capability is something a connected system can do for an offboarding,
// named by area and verb ("identity.suspend"). Playbooks, cards and the
// engine speak of capabilities; a Connector binds each one it implements
// to one of its action ids, so a new vendor is a new declaration, not new
// code in the engine or the bot.
type Capability string

// Identity: the accounts a person signs in with.
const (
	IdentitySuspend       Capability = "identity.suspend"
	IdentityClearSessions Capability = "identity.clear_sessions"
	IdentityResetMFA      Capability = "identity.reset_mfa"
	IdentityRevokeGrants  Capability = "identity.revoke_grants"
	IdentityDeactivate    Capability = "identity.deactivate"
	// IdentityDelete deletes the deactivated account, after Legal's hold
	// review and an approval (see WaitsForAll).
	IdentityDelete Capability = "identity.delete"
	// IdentityRestore undoes suspend and deactivate on a cancelled case.
	IdentityRestore Capability = "identity.restore"
	// IdentityStatus reads an account's state (reconciliation).
	IdentityStatus Capability = "identity.status"
)

// Devices: the laptops and phones a person used.
const (
	DevicesLock   Capability = "devices.lock"
	DevicesRetire Capability = "devices.retire"
	DevicesWipe   Capability = "devices.wipe"
	DevicesStatus Capability = "devices.status"
)

// Legal: keeping what a legal matter may need before anything is moved
// or deleted.
const (
	// LegalHold places a hold on the person's mail and files (a vault
	// matter); a person of Legal says whether one applies.
	LegalHold Capability = "legal.hold"
)

// Data handover: what the person owned goes to someone else.
const (
	DataFiles Capability = "data.files"
	DataMail  Capability = "data.mail"
)

// Licenses: what the person's seats cost and giving them back.
const (
	LicensesReport  Capability = "licenses.report"
	LicensesReclaim Capability = "licenses.reclaim"
)

// HR source: who left, and who works here.
const (
	HRTerminations Capability = "hr.terminations"
	HRPeople       Capability = "hr.people"
)

// safeOrder is every capability in the order that is safe across
// systems: cut access everywhere first (every identity system's suspend
// before any system's sessions), place a legal hold before any data is
// moved, keep the data, destroy last. Account
// deactivation can remove app assignments and with them data, so it comes
// after the handover and the devices. Reads and HR sources change nothing
// and come last.
var safeOrder = []Capability{
	IdentitySuspend,
	IdentityClearSessions,
	IdentityResetMFA,
	IdentityRevokeGrants,
	LegalHold,
	DataFiles,
	DataMail,
	DevicesLock,
	DevicesRetire,
	DevicesWipe,
	IdentityDeactivate,
	IdentityDelete,
	LicensesReport,
	LicensesReclaim,
	IdentityRestore,
	IdentityStatus,
	DevicesStatus,
	HRTerminations,
	HRPeople,
}

// WaitsForAll reports whether a task of c runs only once every task it
// waits for is settled, never "anyway" after a max_wait: deleting an
// account must not outrun Legal's hold review.
func (c Capability) WaitsForAll() bool { return c == IdentityDelete }

// Capabilities returns every capability in the safe order.
func Capabilities() []Capability { return slices.Clone(safeOrder) }

// Rank is the capability's place in the safe order (0 first), or -1 for
// an unknown capability.
func (c Capability) Rank() int { return slices.Index(safeOrder, c) }

// Valid reports whether c is a known capability.
func (c Capability) Valid() bool { return c.Rank() >= 0 }

// Area is the part before the dot: "identity" for "identity.suspend".
func (c Capability) Area() string {
	area, _, _ := strings.Cut(string(c), ".")
	return area
}

// Verb is the part after the dot: "suspend" for "identity.suspend".
func (c Capability) Verb() string {
	_, verb, _ := strings.Cut(string(c), ".")
	return verb
}

// Binding is how one system implements one capability, with the words
// people see for it.
type Binding struct {
	Capability Capability
	// Action is the system's action id ("<system>.<verb>").
	Action string
	// Title is the task title on cards ("Suspend the … account").
	Title string
	// Button is the run button's label; "" leaves the generic one.
	Button string
	// Priority orders the task's jobs; "" keeps the playbook's.
	Priority Priority
	// When overrides the playbook's when ("30d"): a delay the system's
	// own configuration sets; "" keeps the playbook's.
	When string
	// NeedsActiveAccount says the action only works while the person's
	// account in this system is not suspended yet (a mailbox delegation
	// the vendor refuses for a suspended mailbox). The assembly then makes
	// the system's identity.suspend task wait for it softly (see
	// TaskTemplate.AfterIfReady): access still goes at once when the
	// action is not approved or not due.
	NeedsActiveAccount bool
}

// Connector is the declaration of a connected outside system (an
// identity provider, an MDM, an HR system) as the playbook, the engine
// and the cards see it. Each connector package declares its own; the
// wiring registers them.
type Connector struct {
	// Name prefixes the system's action ids and task keys ("<name>.suspend",
	// "<name>_suspend"): lowercase letters, digits and _.
	Name string
	// Label names the system for people.
	Label string
	// Bindings are the capabilities the system implements; one it does not
	// implement is simply absent.
	Bindings []Binding
	// Actions are every action id the system registers, bound or not
	// (a system may offer actions a config playbook names directly).
	Actions []string
}

// Binding returns the system's binding of c.
func (s Connector) Binding(c Capability) (Binding, bool) {
	i := slices.IndexFunc(s.Bindings, func(b Binding) bool { return b.Capability == c })
	if i < 0 {
		return Binding{}, false
	}
	return s.Bindings[i], true
}

// Owns reports whether action is one of the system's action ids.
func (s Connector) Owns(action string) bool { return slices.Contains(s.Actions, action) }

// Validate checks a declaration: a name that fits action ids and task
// keys, a label, known capabilities bound once each, to the system's own
// actions, with a title.
func (s Connector) Validate() error {
	var errs []string
	if !taskKeyPattern.MatchString(s.Name) {
		errs = append(errs, fmt.Sprintf("name %q must be lowercase letters, digits and _", s.Name))
	}
	if strings.TrimSpace(s.Label) == "" {
		errs = append(errs, "label is empty")
	}
	for _, a := range s.Actions {
		if !strings.HasPrefix(a, s.Name+".") {
			errs = append(errs, fmt.Sprintf("action %q does not start with %q", a, s.Name+"."))
		}
	}
	seen := map[Capability]bool{}
	for _, b := range s.Bindings {
		switch {
		case !b.Capability.Valid():
			errs = append(errs, fmt.Sprintf("unknown capability %q", b.Capability))
		case seen[b.Capability]:
			errs = append(errs, fmt.Sprintf("capability %s is bound twice", b.Capability))
		}
		seen[b.Capability] = true
		if !s.Owns(b.Action) {
			errs = append(errs, fmt.Sprintf("%s is bound to %q, which is not one of its actions", b.Capability, b.Action))
		}
		if strings.TrimSpace(b.Title) == "" && b.Capability.Area() != "hr" && !strings.HasSuffix(string(b.Capability), ".status") {
			errs = append(errs, fmt.Sprintf("%s has no title", b.Capability))
		}
		if b.When != "" {
			if _, err := ParseWhen(b.When); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", b.Capability, err))
			}
		}
		if b.Priority != "" && !b.Priority.Valid() {
			errs = append(errs, fmt.Sprintf("%s: priority %q is not one of revocation, device, chat, report", b.Capability, b.Priority))
		}
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "connector %q: %s", s.Name, strings.Join(errs, "; "))
	}
	return nil
}

// Connectors are the registered systems, in registration order (the order
// their tasks take within one capability).
type Connectors []Connector

// Named returns the system called name.
func (ss Connectors) Named(name string) (Connector, bool) {
	i := slices.IndexFunc(ss, func(s Connector) bool { return s.Name == name })
	if i < 0 {
		return Connector{}, false
	}
	return ss[i], true
}

// Owner returns the system that owns action, and the capability the
// action is bound to ("" when it is bound to none).
func (ss Connectors) Owner(action string) (Connector, Capability, bool) {
	for _, s := range ss {
		if !s.Owns(action) {
			continue
		}
		for _, b := range s.Bindings {
			if b.Action == action {
				return s, b.Capability, true
			}
		}
		return s, "", true
	}
	return Connector{}, "", false
}

// Implementing returns the systems that implement c, in order.
func (ss Connectors) Implementing(c Capability) Connectors {
	var out Connectors
	for _, s := range ss {
		if _, ok := s.Binding(c); ok {
			out = append(out, s)
		}
	}
	return out
}
