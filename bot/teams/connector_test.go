package teams

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// The connector asks the tenant's own token endpoint once for many
// concurrent calls, and turns the connector's answers into error codes.
func TestConnector_Do(t *testing.T) {
	login := teamstest.NewLogin(t)
	var calls atomic.Int64
	status := atomic.Int64{}
	status.Store(http.StatusOK)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+teamstest.BotToken {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if s := int(status.Load()); s != http.StatusOK {
			w.Header().Set("Retry-After", "12")
			http.Error(w, "x", s)
			return
		}
		w.Write([]byte(`{"id":"42"}`))
	}))
	defer api.Close()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newConnector(teamstest.AppID, teamstest.AppPassword, login.URL(), teamstest.TenantID, api.Client(), func() time.Time { return now })

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			var out struct{ ID string }
			if err := c.do(t.Context(), http.MethodPost, api.URL+"/v3/conversations", map[string]any{}, &out); err != nil || out.ID != "42" {
				t.Errorf("do = %v, %+v", err, out)
			}
		})
	}
	wg.Wait()
	if n := login.Requests(); n != 1 {
		t.Fatalf("20 concurrent calls asked for %d tokens, want 1", n)
	}

	t.Run("429 is a rate limit with Retry-After", func(t *testing.T) {
		status.Store(http.StatusTooManyRequests)
		defer status.Store(http.StatusOK)
		err := c.do(t.Context(), http.MethodGet, api.URL+"/v3/x", nil, nil)
		var rl *offboard.RateLimitError
		if !errors.As(err, &rl) || rl.API != "teams" || !rl.Reset.Equal(now.Add(12*time.Second)) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("404 is ENOTFOUND, 5xx EUNAVAILABLE", func(t *testing.T) {
		defer status.Store(http.StatusOK)
		status.Store(http.StatusNotFound)
		if err := c.do(t.Context(), http.MethodGet, api.URL+"/v3/x", nil, nil); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Fatalf("404: %v", err)
		}
		status.Store(http.StatusBadGateway)
		if err := c.do(t.Context(), http.MethodGet, api.URL+"/v3/x", nil, nil); offboard.ErrorCode(err) != offboard.EUNAVAILABLE {
			t.Fatalf("502: %v", err)
		}
	})
	t.Run("an expired token is renewed", func(t *testing.T) {
		now = now.Add(2 * time.Hour)
		if err := c.do(t.Context(), http.MethodGet, api.URL+"/v3/x", nil, nil); err != nil {
			t.Fatal(err)
		}
		if n := login.Requests(); n != 2 {
			t.Fatalf("token requests after expiry: %d, want 2", n)
		}
	})
	t.Run("a wrong secret is refused with the endpoint's reason", func(t *testing.T) {
		bad := newConnector(teamstest.AppID, "wrong", login.URL(), teamstest.TenantID, api.Client(), time.Now)
		err := bad.do(t.Context(), http.MethodGet, api.URL+"/v3/x", nil, nil)
		if offboard.ErrorCode(err) != offboard.EUNAVAILABLE || !strings.Contains(err.Error(), "AADSTS7000215") || strings.Contains(err.Error(), "wrong") {
			t.Fatalf("err = %v", err)
		}
	})
}

// A token endpoint that quotes the request in its error (the client
// secret, URL-encoded, in a form body) gets its reason reported, cut to
// size, without the secret in any form.
func TestConnector_BearerEchoedSecret(t *testing.T) {
	const secret = "pa$$+word/with=specials&more~0123"
	login := teamstest.NewLogin(t)
	login.SetPassword(secret)
	login.EchoFailures(1)
	c := newConnector(teamstest.AppID, secret, login.URL(), teamstest.TenantID, http.DefaultClient, time.Now)
	_, err := c.bearer(t.Context())
	if err == nil {
		t.Fatal("no error from an echoing token endpoint")
	}
	msg := err.Error()
	for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
		if strings.Contains(msg, form) {
			t.Fatalf("the error holds the secret as %q: %s", form, msg)
		}
	}
	if !strings.Contains(msg, "AADSTS7000215") || !strings.Contains(msg, offboard.Redacted) || len(msg) > offboard.MaxUpstreamBody+200 {
		t.Fatalf("err = %s (%d bytes)", msg, len(msg))
	}
	if tok, err := c.bearer(t.Context()); err != nil || tok != teamstest.BotToken {
		t.Fatalf("after the failure: %q, %v", tok, err)
	}
}
