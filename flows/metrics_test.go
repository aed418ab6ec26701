package flows_test

import (
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// heard is an offboard.Metrics that keeps what the engine reports.
type heard struct {
	mu      sync.Mutex
	changes int
	revoked []time.Duration
}

func (m *heard) CasesChanged() { m.mu.Lock(); m.changes++; m.mu.Unlock() }
func (m *heard) Revoked(d time.Duration) {
	m.mu.Lock()
	m.revoked = append(m.revoked, d)
	m.mu.Unlock()
}
func (m *heard) APIRequest(string, int, error) {}
func (m *heard) ChatAck(string, time.Duration) {}

func TestEngine_Apply_Metrics(t *testing.T) {
	m := &heard{}
	h := newHarness(t, func(o *flows.Options) { o.Metrics = m })
	c := h.open(offboard.Involuntary, "")
	if m.changes == 0 {
		t.Fatal("opening a case did not mark the case counts stale")
	}
	// A refused command commits nothing and changes no count.
	before := m.changes
	h.refuse(offboard.CancelCase{By: it, CaseID: c.ID, Reason: "no"}, offboard.EFORBIDDEN, "")
	if m.changes != before {
		t.Error("a refused command marked the counts stale")
	}
	h.clock.Advance(90 * time.Second)
	h.succeedAll()
	if len(m.revoked) != 1 || m.revoked[0] != 90*time.Second {
		t.Fatalf("revocations heard: %v, want one of 1m30s", m.revoked)
	}
	// Later results on the revoked case observe nothing again.
	h.clock.Advance(time.Minute)
	h.apply(offboard.Tick{By: sched})
	if len(m.revoked) != 1 {
		t.Errorf("revocation observed again: %v", m.revoked)
	}
}
