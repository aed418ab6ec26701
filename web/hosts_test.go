package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/offboard-dev/offboard/web"
)

// Every route, mounted ones included, sits behind the Host allow-list.
func TestServer_HostAllowList(t *testing.T) {
	ping := func(context.Context) error { return nil }
	cases := []struct {
		name string
		opts web.Options
		// host → served (true) or 421 (false), for GET /hello and /healthz
		hosts  map[string]bool
		health map[string]bool
	}{
		{"loopback", web.Options{Listen: "127.0.0.1:8080"},
			map[string]bool{"localhost:8080": true, "127.0.0.1:8080": true, "[::1]:8080": true, "LOCALHOST:8080": true,
				"localhost:9090": false, "rebind.evil.example:8080": false, "rebind.evil.example": false, "": false,
				"10.0.0.5:8080": false},
			map[string]bool{"rebind.evil.example:8080": false, "10.0.0.5:8080": true}},
		{"loopback with public url", web.Options{Listen: "127.0.0.1:8080", PublicURL: "https://offboard.example.com/"},
			map[string]bool{"offboard.example.com": true, "offboard.example.com:443": true, "offboard.example.com:8443": false,
				"evil.example.com": false, "localhost:8080": true},
			nil},
		{"behind a proxy", web.Options{Listen: "0.0.0.0:8080", AllowedHosts: []string{"offboard.internal", "ops.example.com:8443"}},
			map[string]bool{"offboard.internal": true, "offboard.internal:8080": true, "ops.example.com:8443": true,
				"ops.example.com": false, "127.0.0.1:8080": true, "rebind.evil.example:8080": false, "172.17.0.2:8080": false},
			map[string]bool{"172.17.0.2:8080": true, "rebind.evil.example:8080": false}},
		{"listen on an address", web.Options{Listen: "10.0.0.5:8080", PublicURL: "https://offboard.example.com"},
			map[string]bool{"10.0.0.5:8080": true, "10.0.0.6:8080": false, "offboard.example.com": true},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Engine, o.Ping = nopEngine{}, ping
			s, err := web.New(o)
			if err != nil {
				t.Fatal(err)
			}
			s.Mount("GET /hello", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hi")) }))
			s.Mount("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("# counts")) }))
			check := func(path string, hosts map[string]bool) {
				for host, ok := range hosts {
					r := httptest.NewRequest(http.MethodGet, path, nil)
					r.Host = host
					w := httptest.NewRecorder()
					s.Handler().ServeHTTP(w, r)
					if got := w.Code != http.StatusMisdirectedRequest; got != ok {
						t.Errorf("GET %s with Host %q: %d (served %v, want %v)", path, host, w.Code, got, ok)
					}
				}
			}
			check("/hello", c.hosts)
			check("/api/v1/cases", c.hosts)
			// Readiness probes and scrapes by IP are served as health
			// probes are (the metrics guard then decides who scrapes).
			for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
				check(p, c.health)
			}
		})
	}
	// The port actually listened on, when http.listen asks for port 0.
	s, err := web.New(web.Options{Engine: nopEngine{}, Ping: ping, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	s.Listening("127.0.0.1:43210")
	for host, want := range map[string]int{"localhost:43210": http.StatusOK, "localhost:43211": http.StatusMisdirectedRequest} {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.Host = host
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %s: %d, want %d", host, w.Code, want)
		}
	}
	if _, err := web.New(web.Options{Engine: nopEngine{}, Ping: ping, AllowedHosts: []string{"https://x/"}}); err == nil {
		t.Error("an allowed host with a scheme was accepted")
	}
}
