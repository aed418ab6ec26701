package teams_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/teams"
)

// acks is an offboard.Metrics that keeps the acks it hears.
type acks struct {
	mu   sync.Mutex
	took []time.Duration
	on   []string
}

func (a *acks) CasesChanged()                 {}
func (a *acks) Revoked(time.Duration)         {}
func (a *acks) APIRequest(string, int, error) {}
func (a *acks) ChatAck(platform string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.took, a.on = append(a.took, d), append(a.on, platform)
}

// A person's message is measured once it is answered; a refused activity
// is not a person waiting and is not measured.
func TestPlatform_ServeHTTP_AckMetrics(t *testing.T) {
	m := &acks{}
	w := newBenchWorld(t, func(o *teams.Options) { o.Metrics = m })
	if code := w.postAuth(w.text(hana, "a:hana-personal", "personal", "help"), ""); code != http.StatusUnauthorized {
		t.Fatalf("unsigned activity: %d", code)
	}
	w.mustPost(w.text(hana, "a:hana-personal", "personal", "help"))
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.took) != 1 || m.on[0] != "teams" || m.took[0] <= 0 {
		t.Fatalf("acks measured: %v on %v, want one on teams", m.took, m.on)
	}
}
