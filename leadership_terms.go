package offboard

import (
	"context"
	"sync"
)

// Terms is a Leadership whose terms its owner sets: an election sets the
// term it won and clears it when the term ends; a test grants and takes
// the lead. The zero value does not lead.
type Terms struct {
	mu      sync.Mutex
	term    context.Context // nil while not leading
	changed chan struct{}   // closed and replaced when term changes
}

// Set makes term the current one (nil: not leading) and wakes those
// waiting in Lead.
func (t *Terms) Set(term context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.term = term
	if t.changed != nil {
		close(t.changed)
	}
	t.changed = make(chan struct{})
}

// Leading reports whether a term is current and not over.
func (t *Terms) Leading() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.term != nil && t.term.Err() == nil
}

// Lead blocks until a term is current; the context it returns ends with
// the term or with ctx. A done ctx is returned as its error even while a
// term lasts, so a caller shutting down never gets a new term.
func (t *Terms) Lead(ctx context.Context) (context.Context, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t.mu.Lock()
		if t.changed == nil {
			t.changed = make(chan struct{})
		}
		term, changed := t.term, t.changed
		t.mu.Unlock()
		if term != nil && term.Err() == nil {
			c, cancel := context.WithCancel(ctx)
			context.AfterFunc(term, cancel)
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}
