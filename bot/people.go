package bot

import (
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/offboard-dev/offboard"
)

// PeopleFinder searches the directory for a person picker;
// *offboard.Directory is one.
type PeopleFinder interface {
	Search(query string, limit int) []offboard.Person
}

// Search limits: each person may search a few times a second (a picker
// asks as they type, debounced), so the directory cannot be scraped
// quickly; limiters of people idle for a while are forgotten.
const (
	searchRate    = 4 // per second
	searchBurst   = 10
	searchIdle    = 10 * time.Minute
	searchPersons = 5000 // limiters kept at most
	maxQueryLen   = 100
)

// peopleSearch holds the per-person limiters of FindPeople, and when
// each person's refused search was last audited.
type peopleSearch struct {
	mu      sync.Mutex
	lim     map[string]*rate.Limiter
	seen    map[string]time.Time
	audited map[string]time.Time
}

// refusalAuditEvery: a picker asks on every keystroke, so a refused
// person's searches are audited once a minute, not once a letter.
const refusalAuditEvery = time.Minute

// auditSearchRefusal records a refused people search in the audit chain,
// once per person per refusalAuditEvery. What was typed is left out: it
// may be a name, and the refusal is about who asked.
func (r *Router) auditSearchRefusal(ctx context.Context, who offboard.Actor, cause error) {
	now := r.clock.Now()
	key := who.ID
	if who.Email != "" {
		key = strings.ToLower(who.Email)
	}
	if !r.search.firstRefusal(key, now) {
		return
	}
	status := "403"
	if offboard.ErrorCode(cause) == offboard.EUNAVAILABLE {
		status = "429"
	}
	r.log.Warn("bot: people search refused", "actor", who.String(), "status", status)
	if r.audit == nil {
		return
	}
	ev := offboard.AuditEvent{Time: now, Actor: who, Action: "people_search.refused", Target: "directory",
		Outcome: offboard.OutcomeRefused, Detail: "people search: " + offboard.ErrorMessage(cause),
		Evidence: map[string]string{"status": status, "platform": who.Platform}}
	if err := r.audit.Append(context.WithoutCancel(ctx), ev); err != nil {
		r.log.Error("bot: could not audit a refused people search", "err", err)
	}
}

// firstRefusal reports whether key's refusal is the first in the
// current window (and starts one).
func (s *peopleSearch) firstRefusal(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.audited == nil {
		s.audited = map[string]time.Time{}
	}
	if len(s.audited) >= searchPersons {
		for k, at := range s.audited {
			if now.Sub(at) >= refusalAuditEvery {
				delete(s.audited, k)
			}
		}
	}
	if at, ok := s.audited[key]; ok && now.Sub(at) < refusalAuditEvery {
		return false
	}
	s.audited[key] = now
	return true
}

// FindPeople answers a person picker's typeahead (the console's leaver
// and manager fields, a Teams form's search): name and email of up to
// limit people of the directory that match query, for those who may open
// cases only (HR, admins: the directory is the company's staff list, not
// everyone's to read), each person at most a few searches a second. It
// is refused with EFORBIDDEN or EUNAVAILABLE (too fast) and, without a
// directory, finds nobody.
func (r *Router) FindPeople(ctx context.Context, who offboard.Actor, query string, limit int) ([]offboard.Person, error) {
	probe := who
	if r.roles != nil && who.Kind == offboard.ActorPerson {
		probe.Roles = r.roles(who.Email)
	}
	if who.Kind != offboard.ActorPerson || who.Email == "" || offboard.CanOpenCase(probe, "") != nil {
		err := offboard.Errorf(offboard.EFORBIDDEN, "only people who may open cases (HR, admins) can search the directory")
		r.auditSearchRefusal(ctx, who, err)
		return nil, err
	}
	if !r.search.allow(strings.ToLower(who.Email), r.clock.Now()) {
		err := offboard.Errorf(offboard.EUNAVAILABLE, "too many searches; wait a moment")
		r.auditSearchRefusal(ctx, who, err)
		return nil, err
	}
	if r.people == nil {
		return nil, nil
	}
	if len(query) > maxQueryLen {
		query = query[:maxQueryLen]
	}
	found := r.people.Search(query, limit)
	out := make([]offboard.Person, len(found))
	for i, p := range found {
		out[i] = offboard.Person{Email: p.Email, Name: p.Name} // name and email only
	}
	return out, nil
}

func (s *peopleSearch) allow(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lim == nil {
		s.lim, s.seen = map[string]*rate.Limiter{}, map[string]time.Time{}
	}
	if len(s.lim) >= searchPersons {
		for k, at := range s.seen {
			if now.Sub(at) > searchIdle {
				delete(s.lim, k)
				delete(s.seen, k)
			}
		}
	}
	l, ok := s.lim[key]
	if !ok {
		if len(s.lim) >= searchPersons {
			return false // everyone is busy searching: a flood, not people
		}
		l = rate.NewLimiter(searchRate, searchBurst)
		s.lim[key] = l
	}
	s.seen[key] = now
	return l.AllowN(now, 1)
}
