package flows_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// knownHarness is an engine whose directory (Okta) lists Jane and her
// manager Mona, as the demo's fake Okta does.
func knownHarness(t *testing.T) (*harness, *offboard.Directory) {
	t.Helper()
	dir := offboard.NewDirectory("bamboohr", "okta")
	dir.SetLabel("bamboohr", "BambooHR")
	dir.SetLabel("okta", "Okta")
	dir.Set("okta", []offboard.Person{
		{Email: jane.Email, Name: "Jane Doe", ManagerEmail: manager.Email},
		{Email: manager.Email, Name: "Mona Manager", ManagerEmail: admin.Email},
		{Email: "alex.kim@example.com", Name: "Alex Kim", ManagerEmail: manager.Email},
	}, start)
	h := newHarness(t, func(o *flows.Options) {
		o.Lookup = dir.Lookup
		o.Escalation.ManagerOf = dir.ManagerOf
		o.NameOf = dir.NameOf
	})
	return h, dir
}

func (h *harness) refusedAudits() []*offboard.AuditEvent {
	h.t.Helper()
	var out []*offboard.AuditEvent
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		if e.Action == "command.refused" {
			out = append(out, e)
		}
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// The typo of issue 12: a real involuntary case for nobody, while the
// real Jane kept her access.
func TestEngine_OpenCase_UnknownEmailRefusedWithSuggestion(t *testing.T) {
	h, _ := knownHarness(t)
	_, err := h.engine.Apply(h.ctx, offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Email: "Jane.Doe@exmaple.com"}})
	if offboard.ErrorCode(err) != offboard.EINVALID {
		t.Fatalf("typo opened a case or failed otherwise: %v", err)
	}
	want := "no one with the email jane.doe@exmaple.com in Okta; did you mean jane.doe@example.com?"
	if got := offboard.ErrorMessage(err); got != want {
		t.Errorf("message = %q\nwant      %q", got, want)
	}
	u := offboard.UnknownEmails(err)
	if len(u) != 1 || u[0].Field != "employee" || u[0].Email != "jane.doe@exmaple.com" ||
		u[0].Suggestion != jane.Email || strings.Join(u[0].Sources, ",") != "Okta" {
		t.Errorf("unknown = %+v", u)
	}
	if ids, _ := h.engine.FindCases(h.ctx, hr, "jane.doe@exmaple.com"); len(ids) != 0 {
		t.Errorf("a case was opened for the typo: %v", ids[0].Case.ID)
	}
	refused := h.refusedAudits()
	if len(refused) != 1 || !strings.Contains(refused[0].Detail, "did you mean jane.doe@example.com?") ||
		refused[0].Target != "Jane.Doe@exmaple.com" {
		t.Fatalf("refusal audit = %+v", refused)
	}
	// No suggestion when nothing is close: the message says what to do.
	_, err = h.engine.Apply(h.ctx, offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Email: "zed.nobody@elsewhere.org"}})
	if msg := offboard.ErrorMessage(err); !strings.Contains(msg, "no one with the email zed.nobody@elsewhere.org in Okta; check the spelling") {
		t.Errorf("far-off email: %q", msg)
	}
}

func TestEngine_OpenCase_ConfirmUnknownOpens(t *testing.T) {
	h, _ := knownHarness(t)
	r := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, ConfirmUnknown: true,
		Employee: offboard.Employee{Email: "contractor@agency.example", ManagerEmail: manager.Email}})
	if r.Case == nil || r.Case.Employee.Email != "contractor@agency.example" {
		t.Fatalf("confirmed case not opened: %+v", r)
	}
	// Confirming does not lift who may open cases.
	h.refuse(offboard.OpenCase{By: stranger, Kind: offboard.Involuntary, ConfirmUnknown: true,
		Employee: offboard.Employee{Email: "other@agency.example"}}, offboard.EFORBIDDEN, "may not open")
	// A known person needs no confirmation.
	h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Email: "alex.kim@example.com"}})
}

func TestEngine_OpenCase_UnknownManagerRefused(t *testing.T) {
	h, _ := knownHarness(t)
	_, err := h.engine.Apply(h.ctx, offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Email: jane.Email, ManagerEmail: "mona.manger@example.com"}})
	u := offboard.UnknownEmails(err)
	if len(u) != 1 || u[0].Field != "manager" || u[0].Suggestion != manager.Email {
		t.Fatalf("manager typo: err %v, unknown %+v", err, u)
	}
	if msg := offboard.ErrorMessage(err); msg != "no manager with the email mona.manger@example.com in Okta; did you mean mona.manager@example.com?" {
		t.Errorf("message = %q", msg)
	}
	// Both wrong: both named, employee first.
	_, err = h.engine.Apply(h.ctx, offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Email: "jnae.doe@example.com", ManagerEmail: "mona.manger@example.com"}})
	if u := offboard.UnknownEmails(err); len(u) != 2 || u[0].Field != "employee" || u[0].Suggestion != jane.Email || u[1].Field != "manager" {
		t.Fatalf("both wrong: %+v", u)
	}
	// A manager the directory knows only as someone's manager is known.
	h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Email: jane.Email, ManagerEmail: admin.Email}})
}

func TestEngine_OpenCase_NoDirectoryNoCheck(t *testing.T) {
	// No directory at all.
	h := newHarness(t)
	h.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: "anyone@exmaple.com"}})
	// A directory configured but not read yet (or read empty): nothing to
	// check against, so nothing is refused.
	dir := offboard.NewDirectory("okta")
	dir.SetLabel("okta", "Okta")
	h2 := newHarness(t, func(o *flows.Options) { o.Lookup = dir.Lookup })
	h2.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: "anyone@exmaple.com"}})
	dir.Set("okta", nil, start)
	h2.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: "other@exmaple.com"}})
	// Once it lists people, the check is on.
	dir.Set("okta", []offboard.Person{{Email: jane.Email}}, start)
	h2.refuse(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: "third@exmaple.com"}},
		offboard.EINVALID, "no one with the email third@exmaple.com in Okta")
}

// An HRIS notice is the HR system's own word about its own people: it is
// acted on, not refused; a manager no directory knows gives way to the
// directory's manager of the employee.
func TestEngine_OpenCase_HRISNoticeNotRefused(t *testing.T) {
	h, _ := knownHarness(t)
	bamboo := offboard.System("hris:bamboohr")
	r := h.apply(offboard.OpenCase{By: bamboo, Kind: offboard.Involuntary, DedupeKey: "bamboohr:evt-9",
		Employee: offboard.Employee{Email: "new.hire@example.com", ManagerEmail: manager.Email}})
	if r.Case == nil {
		t.Fatal("HRIS notice for someone not yet in the directory refused")
	}
	r = h.apply(offboard.OpenCase{By: bamboo, Kind: offboard.Involuntary, DedupeKey: "bamboohr:evt-10",
		Employee: offboard.Employee{Email: "alex.kim@example.com", ManagerEmail: "mona.manger@example.com"}})
	if got := r.Case.Employee.ManagerEmail; got != manager.Email {
		t.Errorf("manager = %q, want the directory's %q in place of the unknown one", got, manager.Email)
	}
	var opened *offboard.AuditEvent
	_ = h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: r.Case.ID}, func(e *offboard.AuditEvent) error {
		if e.Action == "case.opened" {
			opened = e
		}
		return nil
	})
	if opened == nil || !strings.Contains(opened.Evidence["manager_from"], "mona.manger@example.com is in no directory") {
		t.Errorf("audit does not say the notice's manager was replaced: %+v", opened)
	}
}
