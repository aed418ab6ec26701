package sameorigin

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAllowed(t *testing.T) {
	for _, c := range []struct {
		name, host, origin, public string
		tls, want                  bool
	}{
		{"same", "localhost:8080", "http://localhost:8080", "", false, true},
		{"no origin", "localhost:8080", "", "", false, true},
		{"case and default port", "Example.com", "http://EXAMPLE.com:80", "", false, true},
		{"other port", "localhost:8080", "http://localhost:9090", "", false, false},
		{"other scheme", "localhost:8080", "https://localhost:8080", "", false, false},
		{"https self", "offboard.example.com", "https://offboard.example.com", "", true, true},
		{"other host", "localhost:8080", "http://rebind.evil.example:8080", "", false, false},
		{"null", "localhost:8080", "null", "", false, false},
		{"public url behind proxy", "offboard.example.com", "https://offboard.example.com", "https://offboard.example.com/", false, true},
		{"public url other port", "offboard.example.com", "https://offboard.example.com:8443", "https://offboard.example.com/", false, false},
		{"not http", "localhost:8080", "file://localhost:8080", "", false, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/console/say", nil)
		r.Host = c.host
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		} else {
			r.TLS = nil
		}
		if got := Allowed(r, c.public); got != c.want {
			t.Errorf("%s: Allowed(Host %q, Origin %q, public %q) = %v, want %v", c.name, c.host, c.origin, c.public, got, c.want)
		}
	}
}
