package web

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// hostPolicy is the Host allow-list every route sits behind. A page of
// another site whose name resolves to offboard's address (DNS
// rebinding) reaches us with its own name in Host; refusing names we do
// not serve stops it before any handler runs. IP literals cannot be
// rebound, so the listen address itself and probes of /healthz by IP
// (a container or pod health check) pass.
type hostPolicy struct {
	loopback bool            // offboard listens on loopback only
	listenIP string          // the listen host when it is a concrete IP
	port     atomic.Value    // string: the listen port; "" or "0" = any
	public   hostPort        // http.public_url's host; zero when unset
	allowed  []hostPort      // http.allowed_hosts
	names    map[string]bool // loopback names
}

// hostPort is a host name (lower case, no trailing dot) and a port; an
// empty port matches any.
type hostPort struct{ host, port string }

func newHostPolicy(listen, publicURL string, allowed []string) (*hostPolicy, error) {
	p := &hostPolicy{names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	host, port, err := net.SplitHostPort(listen)
	if listen != "" && err != nil {
		return nil, fmt.Errorf("web: listen address %q: %w", listen, err)
	}
	p.port.Store(port)
	switch ip := net.ParseIP(host); {
	case listen == "" || strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback():
		p.loopback = true
	case ip != nil && !ip.IsUnspecified():
		p.listenIP = ip.String()
	}
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("web: public URL %q is not an absolute URL", publicURL)
		}
		p.public = hostPort{host: normHost(u.Hostname()), port: u.Port()}
		if p.public.port == "" {
			p.public.port = defaultPort(u.Scheme)
		}
	}
	for _, a := range allowed {
		hp, err := parseAllowedHost(a)
		if err != nil {
			return nil, fmt.Errorf("web: allowed host %q: %w", a, err)
		}
		p.allowed = append(p.allowed, hp)
	}
	return p, nil
}

// parseAllowedHost reads "name" (any port) or "name:port".
func parseAllowedHost(s string) (hostPort, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "/@?# ") {
		return hostPort{}, fmt.Errorf("want a host name or host:port, such as offboard.example.com")
	}
	if h, port, err := net.SplitHostPort(s); err == nil {
		return hostPort{host: normHost(h), port: port}, nil
	}
	return hostPort{host: normHost(strings.Trim(s, "[]"))}, nil
}

func normHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

func defaultPort(scheme string) string {
	if strings.EqualFold(scheme, "https") {
		return "443"
	}
	return "80"
}

// setPort records the port actually listened on (http.listen may say 0).
func (p *hostPolicy) setPort(port string) { p.port.Store(port) }

// allows reports whether a request with this Host header may be served.
func (p *hostPolicy) allows(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	host = normHost(strings.Trim(host, "[]"))
	if host == "" {
		return false
	}
	listenPort, _ := p.port.Load().(string)
	samePort := port == "" || listenPort == "" || listenPort == "0" || port == listenPort
	// Loopback names: offboard health, a browser on the same machine, a
	// proxy on the same machine that passes its own upstream address.
	if p.names[host] && samePort {
		return true
	}
	if p.listenIP != "" && host == p.listenIP && samePort {
		return true
	}
	if p.public.host != "" && host == p.public.host && (port == "" || port == p.public.port) {
		return true
	}
	for _, a := range p.allowed {
		if host == a.host && (a.port == "" || port == a.port) {
			return true
		}
	}
	// A probe or a scrape by IP (Kubernetes sends the pod IP as Host)
	// sees only "ok" and the version, or counts behind the metrics
	// guard; an IP literal cannot be rebound.
	if probePath(r.URL.Path) && (r.Method == http.MethodGet || r.Method == http.MethodHead) && net.ParseIP(host) != nil {
		return true
	}
	return false
}

// probePath is a path machines fetch by IP: health, readiness, metrics.
func probePath(p string) bool { return p == "/healthz" || p == "/readyz" || p == "/metrics" }

// misdirected answers a Host we do not serve.
func misdirected(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, http.StatusMisdirectedRequest, codeMisdirected,
		fmt.Sprintf("this offboard does not serve the host %q: list it in http.allowed_hosts or set http.public_url", truncate(r.Host, 100)))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
