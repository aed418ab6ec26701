package google_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// Hostile or broken answers through Google's own client libraries: a body
// without end is cut (the libraries read error bodies whole), a redirect
// is not followed with the token, an HTML error page is mapped by its
// status; no error carries the access token (not even an upstream that
// echoes it) or the page.
func TestGoogle_HostileAnswers(t *testing.T) {
	fake := googletest.New(t) // the token endpoint (the key's token_uri)
	fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com"})
	var mu sync.Mutex
	var tokens []string
	elsewhere := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere++
		mu.Unlock()
	}))
	defer other.Close()
	endless := func(w http.ResponseWriter, r *http.Request, status int, prefix string) {
		w.WriteHeader(status)
		w.Write([]byte(prefix))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	var mode string
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		m := mode
		mu.Unlock()
		switch m {
		case "endless 502":
			w.Header().Set("Content-Type", "text/html")
			endless(w, r, http.StatusBadGateway, "<html><body>")
		case "endless 200":
			w.Header().Set("Content-Type", "application/json")
			endless(w, r, http.StatusOK, `{"id":"`)
		case "redirect":
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
		case "html 400":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte("<html><body><h1>Error 400 (Bad Request)!!1</h1></body></html>"))
		case "echo":
			// An upstream that echoes the request in its error.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			msg, _ := json.Marshal("Invalid request: Authorization: " + r.Header.Get("Authorization"))
			fmt.Fprintf(w, `{"error":{"code":400,"message":%s,"errors":[{"reason":"invalid","message":%s}]}}`, msg, msg)
		case "echo long":
			// The token past the 512 bytes kept of an upstream's words.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			msg, _ := json.Marshal(strings.Repeat("x", 490) + " " + r.Header.Get("Authorization"))
			fmt.Fprintf(w, `{"error":{"code":400,"message":%s,"errors":[{"reason":"invalid","message":%s}]}}`, msg, msg)
		case "html 503":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("<html><body>Service Unavailable</body></html>"))
		}
	}))
	defer hostile.Close()
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin,
		APIURL: hostile.URL, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g := google.NewGoogle(c, google.Settings{})
	for _, tc := range []struct {
		mode string
		code string // offboard's error code; "" is a retryable error
		want string
	}{
		{"endless 502", "", "502 Bad Gateway"}, // cut at 8 MiB: within 10 s, not at the 30 s timeout
		{"endless 200", "", "larger than 8 MiB"},
		{"redirect", "", "refused a redirect"},
		{"html 400", offboard.EINVALID, "Bad Request"},
		{"html 503", "", "503 Service Unavailable"},
		{"echo", offboard.EINVALID, "Invalid request"},
		{"echo long", offboard.EINVALID, "xxxx"},
	} {
		mu.Lock()
		mode = tc.mode
		mu.Unlock()
		start := time.Now()
		_, err := run(t, g, "google.suspend", offboard.Target{Email: "jane@example.com"})
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), tc.want) || took > 10*time.Second {
			t.Errorf("%s: after %v err = %v, want %q", tc.mode, took, err, tc.want)
			continue
		}
		if code := offboard.ErrorCode(err); tc.code != "" && code != tc.code {
			t.Errorf("%s: code %s, want %s (%v)", tc.mode, code, tc.code, err)
		}
		if tc.code == "" && (offboard.ErrorCode(err) == offboard.EINVALID || offboard.ErrorCode(err) == offboard.ENOTFOUND) {
			t.Errorf("%s: permanent %v", tc.mode, err)
		}
		mu.Lock()
		for _, tok := range tokens {
			if len(tok) < 8 || strings.Contains(err.Error(), tok) {
				t.Errorf("%s: token %q missing or in the error %v", tc.mode, tok, err)
			}
		}
		mu.Unlock()
		if strings.Contains(err.Error(), "ya29.") {
			t.Errorf("%s: a piece of the token is in the error: %v", tc.mode, err)
		}
		if strings.Contains(err.Error(), "<html") || len(err.Error()) > 1000 {
			t.Errorf("%s: the error quotes the page: %.300s", tc.mode, err)
		}
	}
	if elsewhere != 0 {
		t.Errorf("the redirect was followed %d times", elsewhere)
	}
}
