package flows

import (
	"fmt"
	"strings"

	"github.com/offboard-dev/offboard"
)

func (d *decision) recordRoom(c offboard.RecordRoom) (*offboard.Result, error) {
	if !d.actor.Has(offboard.RoleSystem) {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only offboard's chat platforms record rooms")
	}
	cs, err := d.loadCase(c.CaseID)
	if err != nil {
		return nil, err
	}
	platform := strings.TrimSpace(c.Room.Platform)
	if platform == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "a room needs a platform")
	}
	i := -1
	for n, r := range cs.Rooms {
		if r.Platform == platform {
			i = n
		}
	}
	if i < 0 {
		if c.Room.ID == "" {
			return nil, offboard.Errorf(offboard.EINVALID, "a new %s room needs an id", platform)
		}
		cs.Rooms = append(cs.Rooms, offboard.RoomRef{Platform: platform})
		i = len(cs.Rooms) - 1
	}
	r := &cs.Rooms[i]
	created := r.ID == ""
	r.Merge(c.Room)
	if err := d.putCase(cs); err != nil {
		return nil, err
	}
	// Only the room itself is worth an audit entry; message ids are
	// bookkeeping. The room is named by its id: a Slack channel's name
	// spells the leaver's ("offboard-jane-doe-…") in a form the personal
	// data tokens do not match, and the chain could never forget it.
	if created {
		if err := d.audit(cs.ID, "case.room_created", platform, offboard.OutcomeOK,
			fmt.Sprintf("%s room %s", platform, r.ID), map[string]string{"room_id": r.ID}); err != nil {
			return nil, err
		}
	}
	return &offboard.Result{Case: cs, Message: "room recorded"}, nil
}
