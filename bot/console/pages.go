package console

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// pageData is what the page template gets.
type pageData struct {
	Title        string
	Banner       string
	DashboardURL string
	CSRF         string
	People       []person
	Me           *person
	// SignedIn is set outside demo mode: the top bar names the person and
	// offers sign-out instead of the "acting as" picker.
	SignedIn   bool
	SignOutURL string
	Rooms      []roomItem
	Closed     []roomItem
	Room       *roomView
	// Problem is shown instead of a room that cannot be shown.
	Problem string
	Flash   []flashView
	Form    *formView
	Now     time.Time
	// Digest is the latest daily digest, as this person reads it.
	Digest *digestView
}

// roomItem is a room in the list on the left.
type roomItem struct {
	ID           offboard.CaseID
	Label        string
	Sub          string
	Tone         offboard.Tone
	Confidential bool
	Current      bool
}

// roomView is one case room: its header card with the approvals thread
// under it, the department cards, the feed, the audit trail.
type roomView struct {
	ID           offboard.CaseID
	Name         string
	Topic        string
	Confidential bool
	Open         bool
	OpenedAt     time.Time
	Header       cardView
	Approvals    []cardView
	Cards        []cardView
	Lines        []line
	Audit        []auditRow
	AuditMore    bool
}

type auditRow struct {
	Time    time.Time
	Actor   string
	Action  string
	Target  string
	Outcome string
	Detail  string
}

type flashView struct {
	Time  time.Time
	Said  string
	Text  string
	Cards []cardView
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "", "")
}

func (c *Console) roomPage(w http.ResponseWriter, r *http.Request) {
	id, ok := offboard.ParseCaseID(r.PathValue("id"))
	if !ok {
		c.render(w, r, http.StatusNotFound, "", "That is not a case room; case ids look like OFF-0042.")
		return
	}
	c.render(w, r, http.StatusOK, id, "")
}

// render draws the console: the room list, the room id (when set) and
// this browser's private answers and open form.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, id offboard.CaseID, problem string) {
	ctx := r.Context()
	sid := c.sessionID(w, r)
	var people []person
	var who offboard.Actor
	var me *person
	if c.o.Identify != nil {
		who, me = c.signedIn(r)
	} else {
		people = c.people(ctx)
		who, me = c.actingAs(r, people)
	}
	now := c.o.Clock.Now()
	d := pageData{Title: "Console", Banner: c.o.Banner, DashboardURL: c.o.DashboardURL, CSRF: c.csrfToken(sid),
		People: people, Me: me, Problem: problem, Now: now, SignedIn: c.o.Identify != nil, SignOutURL: c.o.SignOutURL}
	if me != nil {
		d.Digest = c.digestFor(me)
		var err error
		if d.Rooms, d.Closed, err = c.roomList(ctx, who, id); err != nil {
			c.failErr(w, r, err)
			return
		}
		if id != "" && problem == "" {
			v, err := c.o.Engine.GetCase(ctx, who, id)
			switch offboard.ErrorCode(err) {
			case "":
				d.Room = c.roomView(ctx, v, now, d.CSRF)
				d.Title = d.Room.Name
			case offboard.ENOTFOUND:
				status, d.Problem = http.StatusNotFound, "There is no case "+string(id)+"."
			case offboard.EFORBIDDEN:
				// The same answer as for a case that does not exist would
				// hide less than it seems; say plainly it is not theirs.
				status, d.Problem = http.StatusForbidden, "You are not in this room: "+string(id)+" is not a case you may see."
			default:
				c.failErr(w, r, err)
				return
			}
		}
	} else if id != "" {
		d.Problem = "Choose who you are acting as to open this room."
		if d.SignedIn {
			d.Problem = "Sign in to open this room."
		}
	}
	// Only the acting person's own private answers and form: never those
	// of whoever this browser acted as before.
	c.withInbox(inboxKey(who, sid), func(s *inbox) {
		for _, f := range s.flash {
			if f.Room == id {
				fv := flashView{Time: f.Time, Said: f.Said, Text: f.Reply.Text}
				for _, card := range f.Reply.Cards {
					fv.Cards = append(fv.Cards, toCardView(card, d.CSRF, id))
				}
				d.Flash = append(d.Flash, fv)
			}
		}
		if s.form != nil && s.form.Room == id {
			d.Form = toFormView(s.form, d.CSRF)
		}
	})
	var buf bytes.Buffer
	if err := c.pages.ExecuteTemplate(&buf, "page", d); err != nil {
		c.o.Logger.ErrorContext(ctx, "console: render", "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// roomList lists the rooms the person may see: open cases, then a few
// closed ones. Confidential cases get a neutral name in the list, as
// their Slack channels do, so a glance over a shoulder tells nothing.
func (c *Console) roomList(ctx context.Context, who offboard.Actor, current offboard.CaseID) (open, closed []roomItem, err error) {
	item := func(v *offboard.CaseView) roomItem {
		cs := v.Case
		it := roomItem{ID: cs.ID, Label: cs.Employee.DisplayName(), Sub: string(cs.ID) + " · " + cs.Kind.Label(),
			Confidential: cs.Confidential, Current: cs.ID == current}
		if cs.Confidential {
			it.Label, it.Sub = "Confidential case", string(cs.ID)
		}
		it.Tone = bot.CaseHeader(v, c.o.Clock.Now(), c.o.Location).Tone
		return it
	}
	views, err := c.o.Engine.ListCases(ctx, who, offboard.CaseOpen, roomLimit)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range views {
		open = append(open, item(v))
	}
	for _, st := range []offboard.CaseStatus{offboard.CaseCompleted, offboard.CaseCancelled} {
		views, err := c.o.Engine.ListCases(ctx, who, st, 10)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range views {
			closed = append(closed, item(v))
		}
	}
	return open, closed, nil
}

func (c *Console) roomView(ctx context.Context, v *offboard.CaseView, now time.Time, csrf string) *roomView {
	cs := v.Case
	rv := &roomView{ID: cs.ID, Name: cs.Employee.DisplayName(), Confidential: cs.Confidential,
		Open: cs.Status == offboard.CaseOpen, OpenedAt: cs.NoticeAt,
		Topic: cs.Kind.Label() + " departure · last day " + offboard.FormatDay(cs.LastDay)}
	if cs.Confidential {
		rv.Topic = "Confidential · share nothing about this case outside this room"
	}
	// The page is drawn for one person: only their buttons (bot.ForViewer).
	rv.Header = toCardView(bot.ForViewer(bot.CaseHeader(v, now, c.o.Location), v), csrf, cs.ID)
	for _, a := range v.Approvals {
		rv.Approvals = append(rv.Approvals, toCardView(bot.ForViewer(bot.ApprovalCard(v, a), v), csrf, cs.ID))
	}
	for _, card := range bot.TaskCards(v, now, c.o.Location) {
		rv.Cards = append(rv.Cards, toCardView(bot.ForViewer(card, v), csrf, cs.ID))
	}
	if cs.ErasedAt != nil {
		// Erased while serve ran: the lines heard before name the leaver.
		c.Forget(cs.ID)
	}
	rv.Lines = c.linesOf(cs.ID)
	if c.o.Audit != nil {
		var rows []auditRow
		err := c.o.Audit(ctx, offboard.AuditFilter{CaseID: cs.ID}, func(e *offboard.AuditEvent) error {
			rows = append(rows, auditRow{Time: e.Time, Actor: e.Actor.String(), Action: e.Action, Target: e.Target, Outcome: e.Outcome, Detail: e.Detail})
			if len(rows) > 2*auditLimit {
				rows = append(rows[:0:0], rows[len(rows)-auditLimit:]...)
				rv.AuditMore = true
			}
			return nil
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			c.o.Logger.WarnContext(ctx, "console: reading the audit trail failed", "case_id", cs.ID, "err", err)
		}
		if len(rows) > auditLimit {
			rows, rv.AuditMore = rows[len(rows)-auditLimit:], true
		}
		// Newest first, as the dashboard shows them.
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
		rv.Audit = rows
	}
	return rv
}

// fail shows a short error page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var buf bytes.Buffer
	err := c.pages.ExecuteTemplate(&buf, "error", struct {
		Status  int
		Heading string
		Message string
	}{status, http.StatusText(status), msg})
	if err != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// failErr shows an error page; detail without a code stays in the log.
func (c *Console) failErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	c.o.Logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	c.fail(w, r, http.StatusInternalServerError, offboard.ErrorMessage(err))
}
