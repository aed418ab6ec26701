package offboard

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what an actor may do. A department's role works its tasks (by
// default the role shares the department's name). Manager is not
// configured: it is derived per case.
type Role string

// Roles.
const (
	RoleHR       Role = "hr"
	RoleIT       Role = "it"
	RoleFinance  Role = "finance"
	RoleSecurity Role = "security"
	RoleLegal    Role = "legal"
	RoleAdmin    Role = "admin"
	// RoleAuditor reads every case, the audit chain and the evidence
	// pack, and does nothing else: an external auditor's seat.
	RoleAuditor Role = "auditor"
	// RoleSystem is held by offboard itself (workers, scheduler) and by
	// verified intake such as HRIS webhooks.
	RoleSystem Role = "system"
)

// ConfigurableRoles are the roles that config may assign to people.
func ConfigurableRoles() []Role {
	return []Role{RoleHR, RoleIT, RoleFinance, RoleSecurity, RoleLegal, RoleAdmin, RoleAuditor}
}

// Valid reports whether r is a role config may assign.
func (r Role) Valid() bool { return slices.Contains(ConfigurableRoles(), r) }

// ActorKind says what sort of thing acts.
type ActorKind string

// Actor kinds.
const (
	ActorPerson ActorKind = "person" // a human in chat or the console
	ActorAPI    ActorKind = "api"    // a REST API token
	ActorSystem ActorKind = "system" // offboard itself, or a verified webhook
)

// Actor is who sends a command. Roles are resolved by the engine from
// config, never trusted from the caller, except for system actors.
type Actor struct {
	Kind ActorKind `json:"kind"`
	// ID is stable per kind: the email of a person, the name of an API
	// token, "runner"/"scheduler"/"hris:bamboohr" for system actors.
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	// Platform and PlatformUserID record where a person clicked
	// ("slack", "U024BE7LH") for the audit trail.
	Platform       string `json:"platform,omitempty"`
	PlatformUserID string `json:"platform_user_id,omitempty"`
	Roles          []Role `json:"roles,omitempty"`
}

// System returns the actor for offboard's own components.
func System(id string) Actor {
	return Actor{Kind: ActorSystem, ID: id, Roles: []Role{RoleSystem}}
}

// String names the actor for messages and logs.
func (a Actor) String() string {
	switch {
	case a.Kind == ActorPerson && a.Name != "" && a.Email != "":
		return fmt.Sprintf("%s <%s>", a.Name, a.Email)
	case a.Kind == ActorPerson && a.Email != "":
		return a.Email
	case a.ID != "":
		return string(a.Kind) + ":" + a.ID
	}
	return "unknown actor"
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// IsAdmin reports whether the actor holds the admin role.
func (a Actor) IsAdmin() bool { return a.Has(RoleAdmin) }

// SamePerson reports whether the actor is the person with this email.
func (a Actor) SamePerson(email string) bool {
	return email != "" && a.Email != "" && strings.EqualFold(a.Email, email)
}
