package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// RoomsOptions configure a room driver.
type RoomsOptions struct {
	Engine offboard.CaseService
	// Delivered remembers the notices already delivered; nil keeps them
	// in memory (a restart may repeat the line of a notice in flight).
	Delivered offboard.DeliveryLog
	Clock     offboard.Clock
	Location  *time.Location
	// Batches keeps batch summaries across restarts (the store); nil
	// keeps them in memory (a restart mid-batch posts a new summary).
	Batches offboard.BatchLog
	// SummaryEvery bounds how often a batch summary is redrawn (default
	// DefaultSummaryEvery); a benchmark against compressed limits
	// compresses it too.
	SummaryEvery time.Duration
}

// Rooms is the notifier of one chat platform: it keeps each case's room
// and cards up to date from the stored case. Every step records what it
// posted before the next, so a retried notice resumes instead of posting
// twice, and cards are drawn from the stored state, so a late or
// repeated notice shows the truth.
type Rooms struct {
	conv      Conversation
	engine    offboard.CaseService
	delivered offboard.DeliveryLog
	clock     offboard.Clock
	loc       *time.Location
	// caseLocks serializes notices per case (offboard.CaseID → *sync.Mutex).
	caseLocks sync.Map
	// batches are the department summaries of batches (Case.Batch →
	// *batchState), kept while the process runs (batch.go).
	batches   sync.Map
	batchLoad sync.Mutex // one load of a batch from batchLog at a time
	batchLog  offboard.BatchLog
	roomTurns roomTurns // when each batch case may open its room (roomturns.go)
	// summaryEvery bounds a summary's redraws (batch.go).
	summaryEvery time.Duration
}

var _ offboard.Notifier = (*Rooms)(nil)

// NewRooms builds the driver for one platform.
func NewRooms(conv Conversation, o RoomsOptions) *Rooms {
	r := &Rooms{conv: conv, engine: o.Engine, delivered: o.Delivered, clock: o.Clock, loc: o.Location, batchLog: o.Batches,
		summaryEvery: o.SummaryEvery}
	if r.summaryEvery <= 0 {
		r.summaryEvery = DefaultSummaryEvery
	}
	if r.delivered == nil {
		r.delivered = &memoryDeliveries{seen: map[string]bool{}}
	}
	if r.clock == nil {
		r.clock = offboard.WallClock()
	}
	if r.loc == nil {
		r.loc = time.UTC
	}
	return r
}

func (r *Rooms) self() offboard.Actor { return offboard.System(r.conv.Platform()) }

// Notify implements offboard.Notifier; the outbox calls it.
func (r *Rooms) Notify(ctx context.Context, n offboard.Notice) error {
	// Notices of one case run one at a time: workers deliver them in
	// parallel, and two of them must not both create the case's room.
	unlock, ok := r.tryLockCase(n.CaseID)
	if !ok {
		if until, opening := r.roomTurns.openingUntil(n.CaseID, r.clock.Now()); opening {
			// Another worker is opening the case's room, a dozen calls at
			// the platform's pace: this notice comes back once it is open
			// rather than hold a worker the batch's next cases need.
			return &offboard.RateLimitError{API: "chat:" + r.conv.Platform() + "/room-opening", Reset: until}
		}
		unlock = r.lockCase(n.CaseID)
	}
	defer unlock()
	if err := r.conv.Paused(); err != nil {
		return err
	}
	v, err := r.engine.GetCase(ctx, r.self(), n.CaseID)
	if err != nil {
		return err
	}
	// A batch's departments hear of the case before its room is made:
	// rooms wait on the platform's channel-creation limit. Counting is
	// quick; the room waits for its turn below.
	summaries, err := r.summaries(ctx, v)
	if err != nil {
		return err
	}
	_, hasRoom := v.Case.Room(r.conv.Platform())
	began := r.clock.Now()
	if !hasRoom && v.Case.Batch != "" {
		at := r.roomTurns.turn(v.Case.ID, began)
		if needsPeople(n.Kind) {
			// Someone must act (a failure, a decision): the case's room
			// goes ahead of the batch's rooms that only show progress.
			at = r.roomTurns.hurry(v.Case.ID, began)
		}
		if at.After(began) {
			if r.roomTurns.waiting(v.Case.ID) && drawnByRoom(n.Kind) && !needsPeople(n.Kind) {
				// Another notice of the case waits in the outbox for its
				// turn and will draw the room from the stored case then,
				// which this notice would only redraw: it is done. One
				// outbox write per case, not one per notice, and no herd
				// of redraws when the room opens.
				return nil
			}
			r.roomTurns.wait(v.Case.ID)
			return &offboard.RateLimitError{API: "chat:" + r.conv.Platform() + "/batch-rooms", Reset: at}
		}
	}
	batch := v.Case.Batch
	if !hasRoom {
		r.roomTurns.opening(n.CaseID, began)
	}
	v, pending, err := r.openRoom(ctx, v, summaries)
	if !hasRoom {
		r.roomTurns.doneOpening(n.CaseID)
	}
	if err != nil {
		return err
	}
	if !hasRoom && batch != "" {
		r.roomTurns.opened(n.CaseID, r.clock.Now().Sub(began))
	}
	if !hasRoom && drawnByRoom(n.Kind) {
		return pending // the room was drawn from the stored case just now
	}
	// Invites still missing make the outbox deliver the notice again
	// once its own work is done; everything here is safe to repeat.
	if err := r.deliver(ctx, v, n); err != nil {
		return err
	}
	return pending
}

// drawnByRoom reports whether a notice of kind k only redraws what
// opening the case's room draws from the stored case: its header, cards
// and approvals. Other notices post a line of their own.
func drawnByRoom(k offboard.NoticeKind) bool {
	switch k {
	case offboard.NoticeCaseOpened, offboard.NoticeTasksUpdated, offboard.NoticeApprovalRequested:
		return true
	}
	return false
}

// needsPeople reports whether a notice of kind k asks someone to act:
// a case's room is where they are named.
func needsPeople(k offboard.NoticeKind) bool {
	switch k {
	case offboard.NoticeTaskFailed, offboard.NoticeTaskUnverified, offboard.NoticeRestoreNeeded,
		offboard.NoticeApprovalRequested, offboard.NoticeApprovalReminder, offboard.NoticeApprovalEscalated,
		offboard.NoticeApprovalStuck, offboard.NoticeTaskOverdue:
		return true
	}
	return false
}

// deliver does what a notice asks once the room is there.
func (r *Rooms) deliver(ctx context.Context, v *offboard.CaseView, n offboard.Notice) error {
	room, _ := v.Case.Room(r.conv.Platform())
	switch n.Kind {
	case offboard.NoticeCaseOpened:
		return nil // openRoom drew everything
	case offboard.NoticeTasksUpdated:
		if err := r.updateDepartment(ctx, v, room, n.Department); err != nil {
			return err
		}
		return r.updateHeader(ctx, v, room)
	case offboard.NoticeApprovalRequested:
		if err := r.postApprovals(ctx, v, room); err != nil {
			return err
		}
		return r.updateDepartment(ctx, v, room, n.Department)
	}
	// The rest post new lines: a retried notice must not post twice.
	if n.ID != "" {
		done, err := r.delivered.Delivered(ctx, r.conv.Platform(), n.ID)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
	if err := r.notifyOnce(ctx, v, room, n); err != nil {
		return err
	}
	if n.ID == "" {
		return nil
	}
	return r.delivered.MarkDelivered(ctx, r.conv.Platform(), n.ID, v.Case.ID, r.clock.Now())
}

// notifyOnce delivers a notice that posts a new line: it redraws the
// cards the notice is about, posts the line (in the thread, or in the
// room itself when the case closed), messages the people it is for
// directly when it is a reminder or an escalation, and closes the room.
func (r *Rooms) notifyOnce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, n offboard.Notice) error {
	if n.ApprovalID != "" {
		if a := findApproval(v, n.ApprovalID); a != nil {
			if err := r.conv.Update(ctx, room, room.ApprovalCards[a.ID], v.Case, ApprovalCard(v, a)); err != nil {
				return err
			}
		}
	}
	closed := n.Kind == offboard.NoticeCaseCompleted || n.Kind == offboard.NoticeCaseCancelled
	if closed {
		if err := r.updateHeader(ctx, v, room); err != nil {
			return err
		}
	}
	if err := r.updateDepartment(ctx, v, room, n.Department); err != nil {
		return err
	}
	text := NoticeLine(n)
	if text != "" || len(n.To) > 0 {
		if _, err := r.conv.Post(ctx, room, Post{Case: v.Case, Text: text, Mentions: n.To, Thread: !closed}); err != nil {
			return err
		}
	}
	if n.Kind == offboard.NoticeApprovalReminder || n.Kind == offboard.NoticeApprovalEscalated {
		for _, e := range n.To {
			if err := r.conv.Direct(ctx, room, v.Case, e, text); err != nil {
				return err
			}
		}
	}
	if closed {
		return r.conv.Closed(ctx, v, room)
	}
	return nil
}

// NoticeLine is the line a notice posts in a case's room: its text, marked
// 🔴 when something failed and ⏰ when something waits on people.
func NoticeLine(n offboard.Notice) string {
	if n.Text == "" {
		return ""
	}
	switch n.Kind {
	case offboard.NoticeTaskFailed, offboard.NoticeTaskUnverified, offboard.NoticeRestoreNeeded:
		return "🔴 " + n.Text
	case offboard.NoticeApprovalReminder, offboard.NoticeApprovalEscalated, offboard.NoticeApprovalStuck, offboard.NoticeTaskOverdue:
		return "⏰ " + n.Text
	}
	return n.Text
}

// openRoom makes sure the case has its room with everyone in it and
// every card posted, and returns the case as stored after that. pending
// is why some people are not invited yet (the outbox should deliver
// again); err means the room itself is not there.
func (r *Rooms) openRoom(ctx context.Context, v *offboard.CaseView, summaries map[offboard.Department]string) (_ *offboard.CaseView, pending, err error) {
	now := r.clock.Now()
	room, ok := v.Case.Room(r.conv.Platform())
	if !ok {
		if room, err = r.conv.CreateRoom(ctx, v, r.conv.Header(v, offboard.RoomRef{}, now)); err != nil {
			return nil, nil, err
		}
		room.Platform = r.conv.Platform()
		if err := r.record(ctx, v.Case.ID, room); err != nil {
			return nil, nil, err
		}
	}
	changed, pending := r.conv.Invite(ctx, v, room)
	if changed.Invites != nil || changed.InviteRounds != 0 {
		room.Merge(changed)
		if err := r.record(ctx, v.Case.ID, changed); err != nil {
			return nil, nil, err
		}
	}
	if pending != nil && !isPending(pending) {
		return nil, nil, pending
	}
	if err := r.drawHeader(ctx, v, &room, now); err != nil {
		return nil, nil, err
	}
	for _, d := range v.DepartmentsListed() {
		if room.DepartmentCards[d] != "" {
			continue
		}
		card, ok := DepartmentCard(v, d, now, r.loc)
		if !ok {
			continue
		}
		id, err := r.conv.Post(ctx, room, Post{Case: v.Case, Card: &card})
		if err != nil {
			return nil, nil, err
		}
		rec := offboard.RoomRef{DepartmentCards: map[offboard.Department]string{d: id}}
		room.Merge(rec)
		if err := r.record(ctx, v.Case.ID, rec); err != nil {
			return nil, nil, err
		}
	}
	if err := r.postApprovals(ctx, v, room); err != nil {
		return nil, nil, err
	}
	if err := r.announce(ctx, v, room, summaries); err != nil {
		return nil, nil, err
	}
	v, err = r.engine.GetCase(ctx, r.self(), v.Case.ID)
	return v, pending, err
}

// summaries counts a batch's case in its departments' summaries, when
// the platform keeps them, and returns their ids by department: the
// case's announcements there. nil for a case outside a batch, or one
// whose departments all heard of it already.
func (r *Rooms) summaries(ctx context.Context, v *offboard.CaseView) (map[offboard.Department]string, error) {
	ba, ok := r.conv.(BatchAnnouncer)
	if !ok || v.Case.Batch == "" {
		return nil, nil
	}
	room, _ := v.Case.Room(r.conv.Platform())
	for _, d := range v.DepartmentsListed() {
		if v.TasksIn(d) > 0 && room.Announcements[d] == "" {
			return r.announceBatch(ctx, ba, v)
		}
	}
	return nil, nil
}

// drawHeader posts the case header once, and redraws it when a new round
// of invites changed who is missing from the room.
func (r *Rooms) drawHeader(ctx context.Context, v *offboard.CaseView, room *offboard.RoomRef, now time.Time) error {
	stale := room.InviteRounds != room.HeaderRounds
	if room.HeaderRef == "" {
		id, err := r.conv.Post(ctx, *room, Post{Case: v.Case, Card: new(r.conv.Header(v, *room, now))})
		if err != nil {
			return err
		}
		room.HeaderRef = id
		if err := r.record(ctx, v.Case.ID, offboard.RoomRef{HeaderRef: id}); err != nil {
			return err
		}
	} else if stale {
		if err := r.conv.Update(ctx, *room, room.HeaderRef, v.Case, r.conv.Header(v, *room, now)); err != nil {
			return err
		}
	}
	if !stale {
		return nil
	}
	room.HeaderRounds = room.InviteRounds
	return r.record(ctx, v.Case.ID, offboard.RoomRef{HeaderRounds: room.InviteRounds})
}

// isPending reports whether an invite error means "try again later"
// rather than a broken room.
func isPending(err error) bool {
	if _, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		return true
	}
	return offboard.ErrorCode(err) == offboard.EUNAVAILABLE
}

// postApprovals posts each pending approval under the header, naming the
// approver.
func (r *Rooms) postApprovals(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	for _, a := range v.Approvals {
		if a.Status != offboard.ApprovalPending || room.ApprovalCards[a.ID] != "" {
			continue
		}
		card := ApprovalCard(v, a)
		p := Post{Case: v.Case, Card: &card, Thread: true, Text: "A decision is needed; nobody is named to make it."}
		if a.Approver != "" {
			p.Text, p.Mentions = ", your decision is needed.", []string{a.Approver}
		}
		if a.Kind == offboard.ApproverManagerFinance {
			// Finance is a role, not a person to mention: the line says so.
			p.Text = fmt.Sprintf(", your decision is needed, with one person of %s.", departmentOfRole(v.Departments, a.Role))
			if a.Approver == "" {
				p.Text = fmt.Sprintf("A decision is needed from an admin (no manager known) and one person of %s.", departmentOfRole(v.Departments, a.Role))
			}
		}
		id, err := r.conv.Post(ctx, room, p)
		if err != nil {
			return err
		}
		rec := offboard.RoomRef{ApprovalCards: map[string]string{a.ID: id}}
		room.Merge(rec)
		if err := r.record(ctx, v.Case.ID, rec); err != nil {
			return err
		}
	}
	return nil
}

// announce tells each department's channel once that a case needs it.
// Announcements are best-effort: the platform reports a channel that
// refuses, and only a rate limit comes back, for the outbox to wait out.
func (r *Rooms) announce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, summaries map[offboard.Department]string) error {
	if len(summaries) > 0 {
		st, err := r.batch(ctx, v.Case.Batch)
		if err != nil {
			return err
		}
		if err := r.saveCase(ctx, st, v.Case.ID); err != nil {
			return err
		}
	}
	for _, d := range v.DepartmentsListed() {
		if room.Announcements[d] != "" || v.TasksIn(d) == 0 {
			continue
		}
		id, batched := summaries[d]
		if !batched {
			var err error
			if id, err = r.conv.Announce(ctx, v, room, d); err != nil {
				return err
			}
		}
		if id == "" {
			continue // no channel for d
		}
		rec := offboard.RoomRef{Announcements: map[offboard.Department]string{d: id}}
		room.Merge(rec)
		if err := r.record(ctx, v.Case.ID, rec); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rooms) updateHeader(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	if room.HeaderRef == "" {
		return nil
	}
	return r.conv.Update(ctx, room, room.HeaderRef, v.Case, r.conv.Header(v, room, r.clock.Now()))
}

func (r *Rooms) updateDepartment(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department) error {
	if d == "" || room.DepartmentCards[d] == "" {
		return nil
	}
	card, ok := DepartmentCard(v, d, r.clock.Now(), r.loc)
	if !ok {
		return nil
	}
	return r.conv.Update(ctx, room, room.DepartmentCards[d], v.Case, card)
}

// record tells the engine, the only writer, what the platform posted.
func (r *Rooms) record(ctx context.Context, id offboard.CaseID, room offboard.RoomRef) error {
	room.Platform = r.conv.Platform()
	_, err := r.engine.Apply(ctx, offboard.RecordRoom{By: r.self(), CaseID: id, Room: room})
	return err
}

func (r *Rooms) lockCase(id offboard.CaseID) func() {
	m, _ := r.caseLocks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// tryLockCase takes the case's lock if it is free.
func (r *Rooms) tryLockCase(id offboard.CaseID) (func(), bool) {
	m, _ := r.caseLocks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	if !mu.TryLock() {
		return nil, false
	}
	return mu.Unlock, true
}
