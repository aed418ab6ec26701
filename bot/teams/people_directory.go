package teams

import (
	"context"
	"strings"

	"github.com/offboard-dev/offboard"
)

// PersonResolver finds the person behind a Microsoft Entra ID object id
// (what Teams activities carry as aadObjectId): Entra ID itself, when it
// is configured. It answers an error for an unknown id and for a
// disabled account, which must hold no roles.
type PersonResolver interface {
	PersonByObjectID(ctx context.Context, objectID string) (offboard.Person, error)
}

// UsePeople makes the platform ask r for the email of a sender whom
// Teams' roster gives none, or whom the members API cannot find, so that
// roles (keyed by email or object id) and the directory (keyed by the
// Entra mail) name the same person. Call it before serving.
func (p *Platform) UsePeople(r PersonResolver) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resolver = r
}

// fromDirectory asks the resolver for objectID; false when there is no
// resolver, no id, or no enabled person behind it.
func (p *Platform) fromDirectory(ctx context.Context, objectID string) (person, bool) {
	p.mu.Lock()
	r := p.resolver
	p.mu.Unlock()
	if r == nil || objectID == "" {
		return person{}, false
	}
	found, err := r.PersonByObjectID(ctx, objectID)
	if err != nil {
		p.log.Warn("teams: the identity system did not name the sender; acting as an unknown person",
			"user", objectID, "err", offboard.ErrorMessage(err))
		return person{}, false
	}
	email := strings.ToLower(strings.TrimSpace(found.Email))
	if email == "" {
		return person{}, false
	}
	return person{aad: objectID, email: email, name: found.Name, at: p.clock.Now()}, true
}
