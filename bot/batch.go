package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// A layoff arrives as a batch: cases opened by one delivery carry the same
// Case.Batch. A department's channel hears of the batch once, in one
// summary updated in place as its cases come, instead of one announcement
// per case (a thousand posts in #it at Slack's one a second is seventeen
// minutes). The summary counts cases and never names a person, so it
// keeps confidential cases as quiet as their own announcement does. It is
// posted before the case's room is created: rooms wait on the platform's
// channel-creation limit, the departments' first sight of the batch does
// not.

// BatchAnnouncer is a Conversation that can keep a batch's summary in a
// department's channel. A platform without it announces every case.
type BatchAnnouncer interface {
	// PostSummary posts department d's summary of a batch and returns its
	// id; "" when d has no channel. Like Announce, a channel that refuses
	// is the platform's to report, and only a rate limit is returned.
	PostSummary(ctx context.Context, d offboard.Department, s BatchSummary) (string, error)
	// UpdateSummary redraws a posted summary in place.
	UpdateSummary(ctx context.Context, d offboard.Department, id string, s BatchSummary) error
}

// BatchSummary is what a department's summary of a batch says.
type BatchSummary struct {
	Department offboard.Department
	Label      string    // the department's label
	Since      time.Time // when the batch's first case reached chat
	Cases      int       // cases of the batch with tasks for the department
	// Confidential of them: counted, never named.
	Confidential int
}

// DefaultSummaryEvery bounds how often a summary is redrawn: chat.update
// is a Tier 3 method (about 50 a minute), and a thousand cases must not
// mean a thousand redraws. The last change is always drawn.
const DefaultSummaryEvery = 2 * time.Second

// batchState is the summaries of one batch, by department.
type batchState struct {
	key   string // Case.Batch
	mu    sync.Mutex
	since time.Time
	depts map[offboard.Department]*deptSummary
	// unsaved are the cases counted here and not yet in the BatchLog;
	// saving is whether a goroutine is writing them (saveCounted).
	unsaved map[offboard.CaseID]offboard.BatchCase
	saving  bool
}

type deptSummary struct {
	id        string // the posted summary; "" before it is
	saved     bool   // id is in the BatchLog
	none      bool   // the department has no channel
	cases     map[offboard.CaseID]bool
	confid    int
	drawn     int // cases counted in the summary as last drawn
	drawnAt   time.Time
	scheduled bool
	failures  int // redraws failed in a row, rate limits aside
}

// batch returns the state of a batch, made on first use from what the
// BatchLog recorded of it (a restart goes on with the same summaries and
// counts instead of posting new ones).
func (r *Rooms) batch(ctx context.Context, key string) (*batchState, error) {
	if st, ok := r.batches.Load(key); ok {
		return st.(*batchState), nil
	}
	r.batchLoad.Lock()
	defer r.batchLoad.Unlock()
	if st, ok := r.batches.Load(key); ok {
		return st.(*batchState), nil
	}
	st := &batchState{key: key, since: r.clock.Now(), depts: map[offboard.Department]*deptSummary{}}
	if r.batchLog != nil {
		rec, err := r.batchLog.LoadBatch(ctx, r.conv.Platform(), key)
		if err != nil {
			return nil, err
		}
		if !rec.Since.IsZero() {
			st.since = rec.Since
		}
		for d, id := range rec.Summaries {
			// drawn unknown: the next change redraws it.
			st.dept(d).id, st.dept(d).saved, st.dept(d).drawn = id, true, -1
		}
		for _, c := range rec.Cases {
			for _, d := range c.Departments {
				ds := st.dept(d)
				ds.cases[c.CaseID] = true
				if c.Confidential {
					ds.confid++
				}
			}
		}
	}
	r.batches.Store(key, st)
	return st, nil
}

// dept is d's summary state, made on first use. st.mu is held, or st is
// not shared yet.
func (st *batchState) dept(d offboard.Department) *deptSummary {
	ds := st.depts[d]
	if ds == nil {
		ds = &deptSummary{cases: map[offboard.CaseID]bool{}}
		st.depts[d] = ds
	}
	return ds
}

// announceBatch counts the case in its batch's summary in every
// department channel it has tasks for: the first case of the batch posts
// the summary, later ones redraw it (at most every summaryEvery, and the
// last change always). It returns the summary ids by department, for the
// case's room to record once it exists.
func (r *Rooms) announceBatch(ctx context.Context, ba BatchAnnouncer, v *offboard.CaseView) (map[offboard.Department]string, error) {
	st, err := r.batch(ctx, v.Case.Batch)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	var depts []offboard.Department
	fresh := false
	for _, d := range v.DepartmentsListed() {
		if v.TasksIn(d) == 0 || st.dept(d).none {
			continue
		}
		depts = append(depts, d)
		fresh = fresh || !st.dept(d).cases[v.Case.ID]
	}
	defer st.mu.Unlock()
	if fresh && r.batchLog != nil {
		// Counted now and written soon, with the other cases counted
		// meanwhile (saveCounted): a worker waiting for each case's
		// commit counted a few dozen cases a second. A restart before the
		// write counts the case again, once: its room records the
		// summary as its announcement only after the write (saveCase).
		if st.unsaved == nil {
			st.unsaved = map[offboard.CaseID]offboard.BatchCase{}
		}
		st.unsaved[v.Case.ID] = offboard.BatchCase{CaseID: v.Case.ID, Departments: depts, Confidential: v.Case.Confidential}
		if !st.saving {
			st.saving = true
			go r.saveCounted(context.WithoutCancel(ctx), st)
		}
	}
	out := map[offboard.Department]string{}
	for _, d := range depts {
		ds := st.dept(d)
		if !ds.cases[v.Case.ID] {
			ds.cases[v.Case.ID] = true
			if v.Case.Confidential {
				ds.confid++
			}
		}
		if ds.id == "" {
			id, err := ba.PostSummary(ctx, d, st.summary(v.Departments, d, ds))
			if err != nil {
				delete(ds.cases, v.Case.ID) // counted again on the retry
				if v.Case.Confidential {
					ds.confid--
				}
				return nil, err
			}
			if id == "" {
				ds.none = true
				continue
			}
			ds.id, ds.drawn, ds.drawnAt = id, len(ds.cases), r.clock.Now()
		} else {
			r.redraw(ctx, ba, st, v.Departments, d, ds)
		}
		if !ds.saved && r.batchLog != nil {
			// Without the record a restart would post a second summary;
			// a failure here is tried again with the batch's next case.
			if err := r.batchLog.SaveBatchSummary(ctx, r.conv.Platform(), st.key, d, ds.id, st.since); err != nil {
				slog.Warn("recording a batch summary failed; a restart before it is recorded posts another",
					"batch", st.key, "department", string(d), "err", err)
			} else {
				ds.saved = true
			}
		}
		out[d] = ds.id
	}
	return out, nil
}

// saveConcurrency bounds the writes of counted cases made side by side;
// the store commits them together.
const saveConcurrency = 64

// maxSaveRounds bounds the rounds of failed writes saveCounted tries;
// the cases left are written by the batch's next count, or by their
// rooms (saveCase).
const maxSaveRounds = 5

// saveCounted writes the batch's counted cases to the BatchLog until none
// is left, a failed write tried again summaryEvery later.
func (r *Rooms) saveCounted(ctx context.Context, st *batchState) {
	for round := 0; ; round++ {
		st.mu.Lock()
		cases := make([]offboard.BatchCase, 0, len(st.unsaved))
		for _, c := range st.unsaved {
			cases = append(cases, c)
		}
		if len(cases) == 0 || round == maxSaveRounds {
			st.saving = false
			st.mu.Unlock()
			return
		}
		st.mu.Unlock()
		var wg sync.WaitGroup
		slots := make(chan struct{}, saveConcurrency)
		var failed error
		var failedMu sync.Mutex
		for _, c := range cases {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				if err := r.saveCase(ctx, st, c.CaseID); err != nil {
					failedMu.Lock()
					failed = err
					failedMu.Unlock()
				}
			})
		}
		wg.Wait()
		if failed != nil {
			slog.Warn("recording counted cases of a batch failed; tried again", "batch", st.key, "err", failed)
			time.Sleep(r.summaryEvery)
		}
	}
}

// saveCase writes case id's count to the BatchLog if it is not there
// yet. A case's room records the summary as its announcement only after
// it: a restart then never forgets a case it drew.
func (r *Rooms) saveCase(ctx context.Context, st *batchState, id offboard.CaseID) error {
	st.mu.Lock()
	c, ok := st.unsaved[id]
	st.mu.Unlock()
	if !ok || r.batchLog == nil {
		return nil
	}
	if err := r.batchLog.SaveBatchCase(ctx, r.conv.Platform(), st.key, c, r.clock.Now()); err != nil {
		return err
	}
	st.mu.Lock()
	delete(st.unsaved, id)
	st.mu.Unlock()
	return nil
}

func (st *batchState) summary(depts offboard.Departments, d offboard.Department, ds *deptSummary) BatchSummary {
	return BatchSummary{Department: d, Label: depts.Label(d), Since: st.since, Cases: len(ds.cases), Confidential: ds.confid}
}

// redraw updates a summary as soon as the last redraw is old enough:
// at once, or summaryEvery after it. st.mu is held; the redraw is made
// without it (drawSummary).
func (r *Rooms) redraw(ctx context.Context, ba BatchAnnouncer, st *batchState, depts offboard.Departments, d offboard.Department, ds *deptSummary) {
	if ds.drawn == len(ds.cases) {
		return
	}
	r.scheduleRedraw(ctx, ba, st, depts, d, ds, max(r.summaryEvery-r.clock.Now().Sub(ds.drawnAt), 0))
}

// scheduleRedraw redraws the summary after wait, unless a redraw is
// scheduled or under way already. st.mu is held.
func (r *Rooms) scheduleRedraw(ctx context.Context, ba BatchAnnouncer, st *batchState, depts offboard.Departments, d offboard.Department, ds *deptSummary, wait time.Duration) {
	if ds.scheduled {
		return
	}
	ds.scheduled = true
	time.AfterFunc(wait, func() { r.drawSummary(context.WithoutCancel(ctx), ba, st, depts, d, ds) })
}

// maxRedrawFailures bounds the redraws tried in a row that fail other
// than by a rate limit (the summary deleted, the channel archived): the
// next case of the batch tries again.
const maxRedrawFailures = 5

// drawSummary redraws a summary with the count as it is now. The call to
// the platform is made without st.mu: at Slack's latency, five
// departments' redraws held every worker counting the batch. Cases
// counted meanwhile, and a failed redraw (at a rate limit's reset, or
// summaryEvery on), are drawn by the next one, so the last count is
// drawn even when no case of the batch follows.
func (r *Rooms) drawSummary(ctx context.Context, ba BatchAnnouncer, st *batchState, depts offboard.Departments, d offboard.Department, ds *deptSummary) {
	st.mu.Lock()
	if ds.drawn == len(ds.cases) {
		ds.scheduled = false
		st.mu.Unlock()
		return
	}
	s, id := st.summary(depts, d, ds), ds.id
	st.mu.Unlock()
	err := ba.UpdateSummary(ctx, d, id, s)
	st.mu.Lock()
	defer st.mu.Unlock()
	ds.scheduled = false
	now := r.clock.Now()
	ds.drawnAt = now
	wait := r.summaryEvery
	if err == nil {
		ds.drawn, ds.failures = s.Cases, 0
		if ds.drawn != len(ds.cases) {
			r.scheduleRedraw(ctx, ba, st, depts, d, ds, wait)
		}
		return
	}
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		wait = max(rl.Reset.Sub(now), r.summaryEvery)
	} else if ds.failures++; ds.failures >= maxRedrawFailures {
		ds.failures = 0
		slog.Warn("a batch summary could not be redrawn; the next case of the batch tries again",
			"batch", st.key, "department", string(d), "err", err)
		return
	}
	r.scheduleRedraw(ctx, ba, st, depts, d, ds, wait)
}
