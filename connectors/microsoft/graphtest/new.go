package graphtest

import "testing"

// New starts a fake closed when t's test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := NewServer()
	if err != nil {
		t.Fatalf("graphtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}
