package flows

import (
	"fmt"
	"strings"

	"github.com/offboard-dev/offboard"
)

// checkKnown refuses a case for an email no directory knows, naming the
// nearest known one: `/offboard jane.doe@exmaple.com involuntary` must
// not open a case for nobody while the real Jane keeps her access. The
// sender may confirm (OpenCase.ConfirmUnknown) for people outside the
// directory. With no directory, or one not read yet, nothing is checked.
//
// Notices from HR systems (system actors: the BambooHR and generic
// webhooks, reconciliation) are not refused for an unknown employee: the
// HRIS is the authority on its own people, nobody is there to click
// "confirm", and refusing a real termination would keep a leaver's
// access, the worse mistake. A wrong email there still fails loudly,
// task by task (no such user in the identity system). Their manager is another matter: a
// manager the directory does not know would leave approvals waiting on
// nobody, so the directory's manager of the employee replaces it when
// there is one. It returns how the manager was chosen when it changed it.
func (d *decision) checkKnown(c offboard.OpenCase, emp *offboard.Employee) (managerFrom string, err error) {
	if d.e.lookup == nil {
		return "", nil
	}
	if d.actor.Has(offboard.RoleSystem) {
		if emp.ManagerEmail == "" {
			return "", nil
		}
		if p := d.e.lookup(emp.ManagerEmail); !p.Checked || p.Known {
			return "", nil
		}
		if d.e.escalation.ManagerOf == nil {
			return "", nil
		}
		if m := normEmail(d.e.escalation.ManagerOf(emp.Email)); m != "" && m != emp.Email && validEmail("manager email", m) == nil {
			from := fmt.Sprintf("directory (the notice's %s is in no directory)", emp.ManagerEmail)
			emp.ManagerEmail = m
			return from, nil
		}
		return "", nil
	}
	if c.ConfirmUnknown {
		return "", nil
	}
	var unknown []offboard.UnknownEmail
	for _, f := range []struct{ field, email string }{{"employee", emp.Email}, {"manager", emp.ManagerEmail}} {
		if f.email == "" {
			continue
		}
		p := d.e.lookup(f.email)
		if !p.Checked || p.Known {
			continue
		}
		unknown = append(unknown, offboard.UnknownEmail{Field: f.field, Email: f.email, Suggestion: p.Nearest, Sources: p.Sources})
	}
	if len(unknown) == 0 {
		return "", nil
	}
	for _, u := range unknown {
		// The email stays out of the log (the audit entry has it).
		d.e.log.Warn("case refused: an email no directory knows", "field", u.Field,
			"suggested", u.Suggestion != "", "sources", strings.Join(u.Sources, ","), "actor", d.actor.Kind)
	}
	return "", &offboard.Error{Code: offboard.EINVALID, Message: unknownMessage(unknown), Unknown: unknown}
}

// unknownMessage says which emails no directory knows and what was
// probably meant: "no one with the email jane.doe@exmaple.com in <directory>;
// did you mean jane.doe@example.com?".
func unknownMessage(unknown []offboard.UnknownEmail) string {
	parts := make([]string, 0, len(unknown))
	suggested := false
	for _, u := range unknown {
		who := "no one"
		if u.Field == "manager" {
			who = "no manager"
		}
		s := fmt.Sprintf("%s with the email %s in %s", who, u.Email, offboard.JoinOr(u.Sources))
		switch {
		case u.Suggestion != "" && len(unknown) == 1:
			s += fmt.Sprintf("; did you mean %s?", u.Suggestion)
		case u.Suggestion != "":
			s += fmt.Sprintf(" (did you mean %s?)", u.Suggestion)
		}
		suggested = suggested || u.Suggestion != ""
		parts = append(parts, s)
	}
	msg := strings.Join(parts, "; and ")
	if !suggested {
		msg += "; check the spelling, or confirm that they are not in the directory"
	}
	return msg
}
