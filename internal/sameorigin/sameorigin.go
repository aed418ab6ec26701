// Package sameorigin decides whether a browser's request came from one
// of offboard's own pages, comparing scheme, host and port as browsers
// define an origin. The console and the dashboard use it against
// cross-site form posts; it imports only the standard library.
package sameorigin

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// origin is a scheme, a lower-case host and an explicit port.
type origin struct{ scheme, host, port string }

func parse(scheme, hostport string) (origin, bool) {
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return origin{}, false
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return origin{}, false
	}
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return origin{scheme, host, port}, true
}

// Allowed reports whether r's Origin header names the origin r was sent
// to (its scheme from TLS, its host and port from Host) or publicURL's
// origin (offboard behind a TLS-terminating proxy). A request without
// Origin passes (not a browser's cross-site post; the console's CSRF
// token covers it); "null" and anything unparsable do not.
func Allowed(r *http.Request, publicURL string) bool {
	raw := r.Header.Get("Origin")
	if raw == "" {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Path != "" && u.Path != "/" {
		return false
	}
	got, ok := parse(u.Scheme, u.Host)
	if !ok {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if self, ok := parse(scheme, r.Host); ok && self == got {
		return true
	}
	if publicURL == "" {
		return false
	}
	p, err := url.Parse(publicURL)
	if err != nil {
		return false
	}
	public, ok := parse(p.Scheme, p.Host)
	return ok && public == got
}
