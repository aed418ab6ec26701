package offboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// Lead waits for a term, returns a context that ends with it, and never
// hands a term to a caller whose own context is done.
func TestTerms_Lead(t *testing.T) {
	var terms offboard.Terms
	if terms.Leading() {
		t.Fatal("the zero Terms leads")
	}
	got := make(chan context.Context, 1)
	go func() {
		c, err := terms.Lead(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	select {
	case <-got:
		t.Fatal("Lead returned before any term was set")
	case <-time.After(50 * time.Millisecond):
	}
	term, end := context.WithCancel(context.Background())
	terms.Set(term)
	var c context.Context
	select {
	case c = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("Lead did not return once a term was set")
	}
	if !terms.Leading() || c.Err() != nil {
		t.Fatalf("leading %v, term context %v; want a live term", terms.Leading(), c.Err())
	}
	end()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the returned context outlived its term")
	}
	if terms.Leading() {
		t.Error("Leading after the term ended")
	}
	live, stop := context.WithCancel(context.Background())
	defer stop()
	terms.Set(live)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := terms.Lead(done); err == nil {
		t.Error("a caller whose context is done was handed a term")
	}
}
