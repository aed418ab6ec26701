package hris_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/hris"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

// floodEnv is an intake writing its audit events to a real store, with a
// clock the test moves.
type floodEnv struct {
	in   *hris.Intake
	db   *store.DB
	path string
	mu   sync.Mutex
	now  time.Time
}

func newFloodEnv(t *testing.T) *floodEnv {
	t.Helper()
	f := &floodEnv{path: filepath.Join(t.TempDir(), "t.db"), now: now}
	db, err := store.Open(f.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	clock := offboard.ClockFunc(func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now })
	eng := flowstest.New(t, flowstest.Options{Store: db, Clock: clock})
	cfg := config.Default().HRIS
	cfg.BambooHR.WebhookSecret = secret
	cfg.Generic.Token = token
	f.in, err = hris.New(hris.Options{Engine: eng, Config: cfg, Clock: clock,
		Audit: db.AuditLog(nil)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *floodEnv) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *floodEnv) events(t *testing.T) []offboard.AuditEvent {
	t.Helper()
	var evs []offboard.AuditEvent
	if err := f.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		evs = append(evs, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// 20,000 unsigned garbage deliveries from one address in 16 s: the
// chain gets the first refusal and one summary per minute, not 20,000
// events; past the limit the sender gets 429 with Retry-After.
func TestIntake_RefusalFlood(t *testing.T) {
	f := newFloodEnv(t)
	before := fileSize(t, f.path)
	const n = 20_000
	attack := 16 * time.Second
	codes := map[int]int{}
	retryAfter := ""
	for i := range n {
		var r *http.Request
		if i%2 == 0 {
			r = httptest.NewRequest(http.MethodPost, "/webhooks/bamboohr", strings.NewReader(`{"employees":[{"id":"x"}]}`))
			r.Header.Set("X-BambooHR-Timestamp", "1")
			r.Header.Set("X-BambooHR-Signature", strings.Repeat("ab", 32))
		} else {
			r = httptest.NewRequest(http.MethodPost, "/webhooks/hris", strings.NewReader(`garbage`))
			r.Header.Set("Authorization", "Bearer nope")
		}
		r.RemoteAddr = "203.0.113.7:40000"
		w := httptest.NewRecorder()
		h := f.in.BambooHR()
		if i%2 == 1 {
			h = f.in.Generic()
		}
		h.ServeHTTP(w, r)
		codes[w.Code]++
		if w.Code == http.StatusTooManyRequests && retryAfter == "" {
			retryAfter = w.Header().Get("Retry-After")
		}
		f.advance(attack / n)
	}
	f.in.FlushRefusals(context.Background(), true) // as at shutdown
	evs := f.events(t)
	minutes := int(attack/time.Minute) + 1
	if len(evs) > 1+minutes {
		t.Errorf("%d audit events for %d refusals in %s, want at most %d", len(evs), n, attack, 1+minutes)
	}
	total := 0
	for _, ev := range evs {
		switch ev.Action {
		case "webhook.rejected":
			total++
		case "webhook.rejected.summary":
			c := 0
			for _, ch := range ev.Evidence["count"] {
				c = c*10 + int(ch-'0')
			}
			total += c
			if ev.Evidence["remote"] != "203.0.113.7" {
				t.Errorf("summary names %q", ev.Evidence["remote"])
			}
		default:
			t.Errorf("unexpected event %s", ev.Action)
		}
	}
	if total != n {
		t.Errorf("the events account for %d refusals, want %d: %+v", total, n, evs)
	}
	if codes[http.StatusTooManyRequests] < n-100 || retryAfter == "" || codes[http.StatusUnauthorized] == 0 {
		t.Errorf("answers %v, Retry-After %q", codes, retryAfter)
	}
	after := fileSize(t, f.path)
	t.Logf("%d refusals in %s → %d audit events, %v answers, store file %d → %d bytes", n, attack, len(evs), codes, before, after)
	if after-before > 64<<10 {
		t.Errorf("the store grew by %d bytes", after-before)
	}
}

// A single bad delivery is visible at once; refusals over a longer
// attack become one event per minute; addresses rotated past the bound
// share one entry, and their events stay bounded.
func TestIntake_RefusalSummaries(t *testing.T) {
	f := newFloodEnv(t)
	bad := func(remote string) int {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/hris", strings.NewReader(`{}`))
		r.Header.Set("Authorization", "Bearer nope")
		r.RemoteAddr = remote + ":5555"
		w := httptest.NewRecorder()
		f.in.Generic().ServeHTTP(w, r)
		return w.Code
	}
	if c := bad("198.51.100.1"); c != http.StatusUnauthorized {
		t.Fatalf("first: %d", c)
	}
	if evs := f.events(t); len(evs) != 1 || evs[0].Action != "webhook.rejected" {
		t.Fatalf("first refusal not recorded at once: %+v", evs)
	}
	// Ten minutes at one refusal a second from the same address.
	for range 600 {
		f.advance(time.Second)
		bad("198.51.100.1")
	}
	f.in.FlushRefusals(context.Background(), false)
	if evs := f.events(t); len(evs) < 10 || len(evs) > 11 {
		t.Errorf("%d events after 10 minutes, want the first and one a minute", len(evs))
	}
	// 50,000 addresses, one refusal each, within a minute.
	before := len(f.events(t))
	for i := range 50_000 {
		bad("10." + itoa(i>>16) + "." + itoa(i>>8&255) + "." + itoa(i&255))
	}
	f.advance(time.Minute)
	f.in.FlushRefusals(context.Background(), true)
	added := len(f.events(t)) - before
	// At most the global allowance of "first" events plus the summaries.
	if added > 30 {
		t.Errorf("rotating addresses added %d events", added)
	}
	t.Logf("50,000 rotating addresses added %d audit events", added)
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
