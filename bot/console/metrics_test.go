package console_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/console"
)

// acks is an offboard.Metrics that keeps the acks it hears.
type acks struct {
	mu sync.Mutex
	on []string
}

func (a *acks) CasesChanged()                 {}
func (a *acks) Revoked(time.Duration)         {}
func (a *acks) APIRequest(string, int, error) {}
func (a *acks) ChatAck(platform string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d > 0 {
		a.on = append(a.on, platform)
	}
}

// An accepted post is an ack measured; one refused by the CSRF check is
// nobody's message and is not.
func TestConsole_AckMetrics(t *testing.T) {
	m := &acks{}
	h := newHarness(t, func(o *console.Options) { o.Metrics = m })
	b := h.browser()
	b.actAs("hana.hr@example.com") // one accepted post
	if code, _ := b.post("/console/say", url.Values{"text": {"help"}, "csrf": {""}}, nil); code != http.StatusForbidden {
		t.Fatalf("post without the token: %d", code)
	}
	if code, _ := b.post("/console/say", url.Values{"text": {"help"}}, nil); code != http.StatusOK {
		t.Fatalf("say: %d", code)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.on) != 2 || m.on[0] != console.PlatformName || m.on[1] != console.PlatformName {
		t.Errorf("acks measured: %v, want two on the console", m.on)
	}
}
