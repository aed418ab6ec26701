// Package metered counts the HTTP requests an outside-API client makes,
// for the operator's metrics, without the client knowing: serve wraps the
// transport it hands each connector. It imports only the root package
// and the standard library, so no connector depends on a metrics library.
package metered

import (
	"net/http"

	"github.com/offboard-dev/offboard"
)

// Transport returns base (nil: http.DefaultTransport) reporting every
// request's outcome to m under system. A nil m returns base unchanged.
func Transport(base http.RoundTripper, system string, m offboard.Metrics) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if m == nil {
		return base
	}
	return &transport{base: base, system: system, m: m}
}

// Client returns a copy of hc (nil: a zero client) whose transport is
// metered; the timeout and redirect policy stay as they were.
func Client(hc *http.Client, system string, m offboard.Metrics) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	c.Transport = Transport(c.Transport, system, m)
	return &c
}

type transport struct {
	base   http.RoundTripper
	system string
	m      offboard.Metrics
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	status := 0
	if resp != nil && err == nil {
		status = resp.StatusCode
	}
	t.m.APIRequest(t.system, status, err)
	return resp, err
}
