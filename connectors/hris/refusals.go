package hris

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Refusals of senders that did not authenticate (wrong signature or
// token, a body too large to check) cost an attacker nothing, so they
// must not each cost us an audit event: 20,000 garbage posts would
// otherwise bury the chain. Per source address they are rate-limited
// (429 past the limit) and summarised: the first refusal of a source is
// recorded at once, so a single bad delivery stays visible; the rest
// become one event per source per minute with a count. Deliveries that
// did authenticate are still audited one by one.
const (
	// refusalRate and refusalBurst limit unauthenticated refusals per
	// source: a misconfigured sender still sees its 401s, a flood 429s.
	refusalRate  = rate.Limit(1) // per second
	refusalBurst = 10
	// summaryEvery is how long refusals from a source are counted before
	// the count becomes one audit event.
	summaryEvery = time.Minute
	// maxSources bounds the per-source state; sources beyond it share
	// one entry (an attacker rotating addresses grows nothing).
	maxSources = 256
	// maxSummaries is how many sources get their own summary event per
	// flush; the quieter ones are summed into one more event.
	maxSummaries = 10
	// idleAfter is when a source with nothing to report is forgotten.
	idleAfter = 10 * time.Minute
	// firstRate limits the "first refusal of a source" events across
	// all sources, so new addresses cannot each buy an event.
	firstRate  = rate.Limit(1.0 / 6) // 10 per minute
	firstBurst = 10
)

// otherSources is the entry shared by sources beyond maxSources.
const otherSources = "other sources"

// refusalSource is what is kept per source address.
type refusalSource struct {
	limiter  *rate.Limiter
	count    int       // refusals not yet audited
	from, to time.Time // first and last of them
	last     string    // the latest reason
	statuses map[int]int
	seen     time.Time
}

// refusals holds the per-source state; safe for concurrent use.
type refusals struct {
	mu        sync.Mutex
	sources   map[string]*refusalSource
	first     *rate.Limiter
	nextSweep time.Time
}

func newRefusals() *refusals {
	return &refusals{sources: map[string]*refusalSource{}, first: rate.NewLimiter(firstRate, firstBurst)}
}

// refusalSummary is one audit event to write for a source.
type refusalSummary struct {
	source   string
	count    int
	from, to time.Time
	last     string
	statuses map[int]int
}

// note counts a refusal of source at now. It says whether to record it
// at once (the source's first), whether the source is over its limit
// (answer 429 after retryAfter), and returns summaries now due.
func (rf *refusals) note(source, reason string, status int, now time.Time) (recordNow bool, retryAfter time.Duration, due []refusalSummary) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	src, ok := rf.sources[source]
	if !ok && len(rf.sources) >= maxSources {
		source = otherSources
		src, ok = rf.sources[source]
	}
	if !ok {
		src = &refusalSource{limiter: rate.NewLimiter(refusalRate, refusalBurst), statuses: map[int]int{}}
		rf.sources[source] = src
		recordNow = rf.first.AllowN(now, 1)
	}
	src.seen = now
	if res := src.limiter.ReserveN(now, 1); res.OK() {
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			retryAfter, status = d, http.StatusTooManyRequests
		}
	}
	if !recordNow {
		if src.count == 0 {
			src.from = now
		}
		src.count++
		src.to, src.last = now, reason
		src.statuses[status]++
	}
	return recordNow, retryAfter, rf.dueLocked(now, false)
}

// flush returns every pending summary (all of them when final, as at
// shutdown; else those whose minute has passed) and forgets idle sources.
func (rf *refusals) flush(now time.Time, final bool) []refusalSummary {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	rf.nextSweep = time.Time{}
	return rf.dueLocked(now, final)
}

func (rf *refusals) dueLocked(now time.Time, final bool) []refusalSummary {
	if !final && now.Before(rf.nextSweep) {
		return nil
	}
	rf.nextSweep = now.Add(time.Second)
	var due []refusalSummary
	for name, src := range rf.sources {
		if src.count > 0 && (final || now.Sub(src.from) >= summaryEvery) {
			due = append(due, refusalSummary{source: name, count: src.count, from: src.from, to: src.to,
				last: src.last, statuses: src.statuses})
			src.count, src.statuses = 0, map[int]int{}
		}
		// A source is forgotten once its limiter is full again and it
		// has been quiet; its next refusal is a "first" again (subject
		// to the global first-event limit).
		if src.count == 0 && now.Sub(src.seen) >= idleAfter {
			delete(rf.sources, name)
		}
	}
	if len(due) <= maxSummaries {
		return due
	}
	// The busiest sources keep their own event; the rest are one.
	slices.SortFunc(due, func(a, b refusalSummary) int { return cmp.Compare(b.count, a.count) })
	rest := refusalSummary{source: fmt.Sprintf("%d other sources", len(due)-maxSummaries+1), statuses: map[int]int{},
		from: due[maxSummaries-1].from, to: due[maxSummaries-1].to, last: due[maxSummaries-1].last}
	for _, s := range due[maxSummaries-1:] {
		rest.count += s.count
		for k, v := range s.statuses {
			rest.statuses[k] += v
		}
		if s.from.Before(rest.from) {
			rest.from = s.from
		}
		if s.to.After(rest.to) {
			rest.to = s.to
		}
	}
	return append(due[:maxSummaries-1], rest)
}

// sourceOf is the address a request came from (never a forwarded-for
// header: anyone can write one).
func sourceOf(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// refuseUnauthenticated answers a delivery whose sender did not
// authenticate: status (or 429 past the source's limit), audited at once
// only when it is the source's first, else counted for the summary.
func (in *Intake) refuseUnauthenticated(w http.ResponseWriter, r *http.Request, source string, status int, code, msg, detail string) {
	from := sourceOf(r)
	now := in.clock.Now()
	recordNow, retryAfter, due := in.refused.note(from, detail, status, now)
	if recordNow {
		in.log.Warn("hris: delivery rejected", "source", source, "status", status, "reason", detail, "remote", from)
		in.record(r.Context(), source, "", detail, map[string]string{"status": http.StatusText(status), "remote": from})
	} else {
		in.log.Debug("hris: delivery rejected; counted for the summary", "source", source, "status", status, "remote", from)
	}
	in.writeSummaries(r.Context(), due)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "rate_limited",
			"too many refused deliveries from this address; retry later")
		return
	}
	writeError(w, status, code, msg)
}

// FlushRefusals writes the summaries of unauthenticated refusals that
// are due; final writes all of them (at shutdown, so none is lost).
// The scheduler calls it every minute, so a summary does not wait for
// the next refusal.
func (in *Intake) FlushRefusals(ctx context.Context, final bool) {
	in.writeSummaries(ctx, in.refused.flush(in.clock.Now(), final))
}

// summarySource is the actor of summaries: they may sum refusals of
// both webhooks.
const summarySource = "hris:webhooks"

func (in *Intake) writeSummaries(ctx context.Context, due []refusalSummary) {
	for _, s := range due {
		codes := make([]int, 0, len(s.statuses))
		for c := range s.statuses {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		ev := map[string]string{"count": strconv.Itoa(s.count), "remote": s.source,
			"from": s.from.UTC().Format(time.RFC3339), "to": s.to.UTC().Format(time.RFC3339)}
		for _, c := range codes {
			ev["status_"+strconv.Itoa(c)] = strconv.Itoa(s.statuses[c])
		}
		detail := fmt.Sprintf("%d more unauthenticated deliveries refused from %s between %s and %s (latest: %s)",
			s.count, s.source, ev["from"], ev["to"], s.last)
		in.log.Warn("hris: unauthenticated deliveries refused", "remote", s.source, "count", s.count)
		in.recordAction(ctx, summarySource, "webhook.rejected.summary", detail, ev)
	}
}
