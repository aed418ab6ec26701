package flows

import (
	"context"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// GetCase returns one case if the actor may see it. Reads go through the
// engine so that every surface applies the same visibility rule.
func (e *Engine) GetCase(ctx context.Context, actor offboard.Actor, id offboard.CaseID) (*offboard.CaseView, error) {
	actor = e.resolveActor(actor)
	if norm, ok := offboard.ParseCaseID(string(id)); ok {
		id = norm
	} else {
		return nil, offboard.Errorf(offboard.EINVALID, "%q is not a case id like OFF-0042", id)
	}
	var v *offboard.CaseView
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		var err error
		v, err = loadView(tx, id)
		if err != nil {
			return err
		}
		e.fillButtons(v.Tasks)
		if err := offboard.CanViewCase(actor, v.Case); err != nil && !e.decidesPending(actor, v) {
			return err
		}
		v.Viewer = e.viewer(actor, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e.withDepartments(v)[0], nil
}

// decidesPending reports whether actor may decide one of the case's
// pending approvals: such a person (Finance's half of a write-off on a
// confidential case, a delegate, someone escalation reached) must be able
// to open the case to decide, though lists still leave it out.
func (e *Engine) decidesPending(actor offboard.Actor, v *offboard.CaseView) bool {
	for _, a := range v.Approvals {
		if a.Status == offboard.ApprovalPending && offboard.CanApprove(actor, v.Case, a, e.delegates(a.Approver)) == nil {
			return true
		}
	}
	return false
}

// viewer works out what actor may click on v, by the rules a click meets.
func (e *Engine) viewer(actor offboard.Actor, v *offboard.CaseView) *offboard.Viewer {
	w := &offboard.Viewer{Decide: map[string]bool{}, Run: map[string]bool{}, Skip: map[string]bool{}}
	for _, a := range v.Approvals {
		if a.Status != offboard.ApprovalPending {
			continue
		}
		_, err := offboard.ApprovalSide(actor, v.Case, a, e.delegates(a.Approver))
		w.Decide[a.ID] = err == nil
	}
	// Revoke now runs every revocation still waiting; one the actor may
	// not run refuses it all, as revokeNow does.
	waiting, mayAll := false, true
	for _, t := range v.Tasks {
		w.Run[t.Key] = offboard.CanRunTask(actor, v.Case, t, e.depts) == nil
		w.Skip[t.Key] = offboard.CanSkipTask(actor, v.Case, t, e.depts) == nil
		if t.IsRevocation() && (t.Status == offboard.TaskPending || t.Status == offboard.TaskScheduled) {
			waiting, mayAll = true, mayAll && w.Run[t.Key]
		}
	}
	w.RevokeNow = waiting && mayAll
	return w
}

// ListCases returns the cases with a status that the actor may see,
// newest first, at most limit (0 means 100).
func (e *Engine) ListCases(ctx context.Context, actor offboard.Actor, status offboard.CaseStatus, limit int) ([]*offboard.CaseView, error) {
	actor = e.resolveActor(actor)
	if limit <= 0 {
		limit = 100
	}
	var out []*offboard.CaseView
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		ids, err := tx.CaseIDsByStatus(status)
		if err != nil {
			return err
		}
		out, err = visibleViews(tx, actor, ids, limit)
		e.fillViews(out)
		return err
	})
	return e.withDepartments(out...), err
}

// FindCases finds cases by case id, by email (every case of that person),
// or by name (open cases), newest first, that the actor may see.
func (e *Engine) FindCases(ctx context.Context, actor offboard.Actor, query string) ([]*offboard.CaseView, error) {
	actor = e.resolveActor(actor)
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "say whose case: a name, an email or a case id")
	}
	if id, ok := offboard.ParseCaseID(query); ok {
		v, err := e.GetCase(ctx, actor, id)
		if err != nil {
			return nil, err
		}
		return []*offboard.CaseView{v}, nil
	}
	var out []*offboard.CaseView
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		if !strings.Contains(query, "@") {
			return e.findByName(tx, actor, query, &out)
		}
		ids, err := tx.CaseIDsByEmail(query)
		if err != nil {
			return err
		}
		out, err = visibleViews(tx, actor, ids, 0)
		e.fillViews(out)
		return err
	})
	return e.withDepartments(out...), err
}

// findByName matches open cases by name: the whole name, a first or last
// name, or the start of the email ("jane", "Jane Doe", "jane.doe").
// Open cases only: they are few, and that is what people ask about.
func (e *Engine) findByName(tx offboard.Tx, actor offboard.Actor, query string, out *[]*offboard.CaseView) error {
	q := strings.ToLower(strings.Join(strings.Fields(query), " "))
	ids, err := tx.CaseIDsByStatus(offboard.CaseOpen)
	if err != nil {
		return err
	}
	views, err := visibleViews(tx, actor, ids, 0)
	if err != nil {
		return err
	}
	e.fillViews(views)
	for _, v := range views {
		if nameMatches(v.Case.Employee, q) {
			*out = append(*out, v)
		}
	}
	return nil
}

func nameMatches(emp offboard.Employee, q string) bool {
	local, _, _ := strings.Cut(strings.ToLower(emp.Email), "@")
	// "jane.doe@…" is also known as "jane doe" when no name was given.
	fromEmail := strings.Join(strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' }), " ")
	for _, name := range []string{strings.ToLower(emp.Name), fromEmail} {
		if name == q || local == q {
			return true
		}
		for _, w := range strings.Fields(name) {
			if w == q {
				return true
			}
		}
		if len(q) >= 3 && strings.Contains(name, q) && !strings.Contains(name, "@") {
			return true
		}
	}
	return false
}

// visibleViews loads the cases of ids (oldest first) that actor may see,
// newest first, at most limit (0: all).
func visibleViews(tx offboard.Tx, actor offboard.Actor, ids []offboard.CaseID, limit int) ([]*offboard.CaseView, error) {
	var out []*offboard.CaseView
	for i := len(ids) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		// The case alone decides visibility; tasks and approvals are read
		// only for cases shown, which matters to a manager among
		// 100,000 other people's cases.
		c, err := tx.Case(ids[i])
		if err != nil {
			return nil, err
		}
		if offboard.CanViewCase(actor, c) != nil {
			continue
		}
		v, err := viewOf(tx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func loadView(tx offboard.Tx, id offboard.CaseID) (*offboard.CaseView, error) {
	c, err := tx.Case(id)
	if err != nil {
		return nil, err
	}
	return viewOf(tx, c)
}

// withDepartments gives views the configured departments that readers
// list tasks by, and returns the first view (for GetCase) or all.
func (e *Engine) withDepartments(views ...*offboard.CaseView) []*offboard.CaseView {
	for _, v := range views {
		v.Departments = e.depts
	}
	return views
}

// viewOf reads a case's tasks and approvals.
func viewOf(tx offboard.Tx, c *offboard.Case) (*offboard.CaseView, error) {
	id := c.ID
	tasks, err := tx.Tasks(id)
	if err != nil {
		return nil, err
	}
	apps, err := tx.Approvals(id)
	if err != nil {
		return nil, err
	}
	hideSecrets(tasks)
	return &offboard.CaseView{Case: c, Tasks: tasks, Approvals: apps}, nil
}

func (e *Engine) fillViews(views []*offboard.CaseView) {
	for _, v := range views {
		e.fillButtons(v.Tasks)
	}
}

// fillButtons gives tasks stored before their binding's words were kept
// on the task (cases opened by an older version) their button's label,
// for display only; nothing is written.
func (e *Engine) fillButtons(tasks []*offboard.Task) {
	for _, t := range tasks {
		if t.Button != "" || t.Manual() {
			continue
		}
		if s, _, ok := e.connectors.Owner(t.Action); ok {
			t.Button = buttonOf(s, t.Action)
		}
	}
}

// CaseSummaries returns the cases with a status that the actor may see,
// newest first, each with its Summary filled in — the cheap read behind
// lists and dashboards, which need no tasks. With since set, it stops at
// the first case created before since.
func (e *Engine) CaseSummaries(ctx context.Context, actor offboard.Actor, status offboard.CaseStatus, since time.Time, limit int) ([]*offboard.Case, error) {
	actor = e.resolveActor(actor)
	var out []*offboard.Case
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		return newestCases(tx, actor, status, since, func(c *offboard.Case) (bool, error) {
			if c.Summary == nil { // stored before summaries existed
				v, err := viewOf(tx, c)
				if err != nil {
					return false, err
				}
				c.Summary = offboard.Summarize(v.Tasks, v.Approvals)
			}
			out = append(out, c)
			return limit <= 0 || len(out) < limit, nil
		})
	})
	return out, err
}

// clockStepSlack is how far past since the walk by number goes on: numbers
// follow the engine's clock, which a wall-clock step back can bend a
// little, never by an hour.
const clockStepSlack = time.Hour

// newestCases walks the cases with a status (any status when empty) that
// actor may see, newest first, until fn says stop or — when since is set
// — a case opened before since comes up. Case numbers are handed out in
// order of opening, so with since set (or any status) the walk counts
// numbers down from the newest and reads only the period's cases,
// whatever their status: with 100,000 historical cases a month's figures
// read a month's cases. One status without a start reads its index.
func newestCases(tx offboard.Tx, actor offboard.Actor, status offboard.CaseStatus, since time.Time, fn func(*offboard.Case) (bool, error)) error {
	visit := func(c *offboard.Case) (bool, error) {
		if (status != "" && c.Status != status) || offboard.CanViewCase(actor, c) != nil {
			return true, nil
		}
		return fn(c)
	}
	if !since.IsZero() || status == "" {
		last, err := tx.LastCaseNumber()
		if err != nil {
			return err
		}
		for n := last; n > 0; n-- {
			c, err := tx.Case(offboard.FormatCaseID(n))
			if offboard.ErrorCode(err) == offboard.ENOTFOUND {
				continue // a number whose case was never stored
			}
			if err != nil {
				return err
			}
			if !since.IsZero() && c.CreatedAt.Before(since) {
				if c.CreatedAt.Before(since.Add(-clockStepSlack)) {
					return nil
				}
				continue
			}
			if more, err := visit(c); err != nil || !more {
				return err
			}
		}
		return nil
	}
	ids, err := tx.CaseIDsByStatus(status)
	if err != nil {
		return err
	}
	for i := len(ids) - 1; i >= 0; i-- {
		c, err := tx.Case(ids[i])
		if err != nil {
			return err
		}
		if more, err := visit(c); err != nil || !more {
			return err
		}
	}
	return nil
}
