package offboard

import (
	"maps"
	"strings"
)

// Target is who an action job acts on: a snapshot of the case's employee
// and of the user ids connectors have found, written with the job. The
// runner hands it to the connector as it is, so it never reads the case,
// and a connector that knows the user's id does not look them up again.
type Target struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	// UserIDs are the vendor's user ids by system ("okta" → "00u1…"),
	// for each system where a connector has found the person.
	UserIDs map[string]string `json:"user_ids,omitempty"`
}

// NewTarget is the target of a case's action jobs.
func NewTarget(c *Case) *Target {
	return &Target{Email: c.Employee.Email, Name: c.Employee.Name, UserIDs: maps.Clone(c.UserIDs)}
}

// UserID returns the person's user id in a system, or "" when no
// connector has found them there yet.
func (t *Target) UserID(system string) string {
	if t == nil {
		return ""
	}
	return t.UserIDs[system]
}

// ActionSystem is the system an action id belongs to: the part before
// the dot ("okta" for "okta.suspend").
func ActionSystem(action string) string {
	system, _, _ := strings.Cut(action, ".")
	return system
}
