package console

import (
	"context"
	"slices"
	"time"

	"github.com/offboard-dev/offboard"
)

// PostDigest keeps the daily digest for the console's welcome room: HR
// and admins read all of it, a department its own part, as the Slack
// channels get them. Only the latest digest is kept.
func (c *Console) PostDigest(ctx context.Context, d offboard.Digest) error {
	c.mu.Lock()
	c.digest = &d
	c.mu.Unlock()
	c.publish("")
	return nil
}

// digestView is the digest one person reads, or nil.
type digestView struct {
	At   time.Time
	Text string
}

func (c *Console) digestFor(p *person) *digestView {
	c.mu.Lock()
	d := c.digest
	c.mu.Unlock()
	if d == nil || p == nil {
		return nil
	}
	part := offboard.Digest{}
	switch {
	case slices.Contains(p.Roles, offboard.RoleHR), slices.Contains(p.Roles, offboard.RoleAdmin):
		part = *d
	default:
		for _, dept := range d.Listed() {
			if slices.Contains(p.Roles, d.Departments.RoleOf(dept)) {
				part = d.ForDepartment(dept)
			}
		}
	}
	if part.Empty() {
		return nil
	}
	return &digestView{At: d.At, Text: part.Text(c.o.Location)}
}
