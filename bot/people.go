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

// peopleSearch holds the per-person limiters of FindPeople.
type peopleSearch struct {
	mu   sync.Mutex
	lim  map[string]*rate.Limiter
	seen map[string]time.Time
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
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only people who may open cases (HR, admins) can search the directory")
	}
	if !r.search.allow(strings.ToLower(who.Email), r.clock.Now()) {
		return nil, offboard.Errorf(offboard.EUNAVAILABLE, "too many searches; wait a moment")
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
