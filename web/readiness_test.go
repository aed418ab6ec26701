package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/offboard-dev/offboard/web"
)

// /readyz follows serve's life: not ready while starting, ready once the
// workers run, not ready again as soon as shutdown begins, and never
// ready while the store does not answer.
func TestServer_Readyz(t *testing.T) {
	var storeDown atomic.Bool
	h := newHarness(t, func(o *web.Options) {
		o.Ping = func(context.Context) error {
			if storeDown.Load() {
				return errors.New("store closed")
			}
			return nil
		}
	})
	check := func(wantStatus int, wantState string) {
		t.Helper()
		r := h.do(request{method: "GET", path: "/readyz"})
		var body struct{ Status string }
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if r.status != wantStatus || body.Status != wantState {
			t.Errorf("readyz = %d %q, want %d %q", r.status, body.Status, wantStatus, wantState)
		}
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q", got)
		}
	}
	check(http.StatusServiceUnavailable, "starting")
	// /healthz is about the process, not the phase.
	if r := h.do(request{method: "GET", path: "/healthz"}); r.status != http.StatusOK {
		t.Errorf("healthz while starting: %d", r.status)
	}
	h.web.SetPhase(web.Ready)
	check(http.StatusOK, "ready")
	storeDown.Store(true)
	check(http.StatusServiceUnavailable, "unavailable")
	storeDown.Store(false)
	h.web.SetPhase(web.Stopping)
	check(http.StatusServiceUnavailable, "stopping")
}
