package offboard

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"
)

// RoomRef points at the chat room of a case on one platform and at what
// the platform posted there, so a retried notice updates in place instead
// of posting twice.
type RoomRef struct {
	Platform string `json:"platform"` // "slack", "teams", "console"
	ID       string `json:"id"`       // channel id, conversation id
	Name     string `json:"name,omitempty"`
	// HeaderRef is the platform's id of the case header message.
	HeaderRef string `json:"header_ref,omitempty"`
	// ServiceURL is the Bot Framework endpoint a Teams thread lives on:
	// proactive posts after a restart need it.
	ServiceURL string `json:"service_url,omitempty"`
	// Fallback says why the room stands in for a room the platform would
	// not let offboard create (Slack: HR's channel, "restricted_action").
	Fallback string `json:"fallback,omitempty"`
	// DepartmentCards and ApprovalCards are the message ids of the cards,
	// by department and by approval id.
	DepartmentCards map[Department]string `json:"department_cards,omitempty"`
	ApprovalCards   map[string]string     `json:"approval_cards,omitempty"`
	// Announcements are, by department, the message id of the case's
	// announcement in the department's channel, or AnnounceFailed and why.
	Announcements map[Department]string `json:"announcements,omitempty"`
	// Invites are, by email, where each person stands with the room
	// (platform words: "in", "pending", "refused:<code>"…).
	Invites map[string]string `json:"invites,omitempty"`
	// InviteRounds counts the rounds of invites tried; HeaderRounds is the
	// round the header card shows, so a new round redraws it.
	InviteRounds int `json:"invite_rounds,omitempty"`
	HeaderRounds int `json:"header_rounds,omitempty"`
}

// AnnounceFailed starts an Announcements entry for a channel that refused
// the announcement for good; the case does not try it again.
const AnnounceFailed = "failed:"

// Merge lays the set fields of u over r: ids and names that are set
// replace, map entries are added or replaced one by one. The engine's
// RecordRoom uses it, so a platform records one new message at a time.
func (r *RoomRef) Merge(u RoomRef) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&r.ID, u.ID)
	set(&r.Name, u.Name)
	set(&r.HeaderRef, u.HeaderRef)
	set(&r.ServiceURL, u.ServiceURL)
	set(&r.Fallback, u.Fallback)
	r.DepartmentCards = mergeMap(r.DepartmentCards, u.DepartmentCards)
	r.ApprovalCards = mergeMap(r.ApprovalCards, u.ApprovalCards)
	r.Announcements = mergeMap(r.Announcements, u.Announcements)
	r.Invites = mergeMap(r.Invites, u.Invites)
	r.InviteRounds = max(r.InviteRounds, u.InviteRounds)
	r.HeaderRounds = max(r.HeaderRounds, u.HeaderRounds)
}

func mergeMap[K comparable](dst, src map[K]string) map[K]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[K]string, len(src))
	}
	maps.Copy(dst, src)
	return dst
}

// UnmarshalJSON reads a room as stored today, and also as stored before
// its fields were typed: one "messages" map whose keys said what each
// value was ("dept:it", "approval:…", "notice:it", "invite:…",
// "invite_tries", "header_invites", "fallback", "service_url"). Its
// "sent:<notice>" markers are dropped: delivered notices are kept apart
// now (see DeliveryLog), and a notice delivered just before the upgrade
// and retried just after may post its line once more.
func (r *RoomRef) UnmarshalJSON(b []byte) error {
	type plain RoomRef
	var in struct {
		plain
		Messages map[string]string `json:"messages"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*r = RoomRef(in.plain)
	for k, v := range in.Messages {
		r.mergeLegacy(k, v)
	}
	return nil
}

func (r *RoomRef) mergeLegacy(key, v string) {
	kind, rest, _ := strings.Cut(key, ":")
	one := func(m map[string]string) map[string]string { return mergeMap(m, map[string]string{rest: v}) }
	oneDept := func(m map[Department]string) map[Department]string {
		return mergeMap(m, map[Department]string{Department(rest): v})
	}
	switch kind {
	case "dept":
		r.DepartmentCards = oneDept(r.DepartmentCards)
	case "approval":
		r.ApprovalCards = one(r.ApprovalCards)
	case "notice":
		if v == "failed" { // Teams marked a refused channel so, without a reason
			v = AnnounceFailed + "refused"
		}
		r.Announcements = oneDept(r.Announcements)
	case "invite":
		r.Invites = one(r.Invites)
	case "invite_tries":
		r.InviteRounds, _ = strconv.Atoi(v)
	case "header_invites":
		r.HeaderRounds, _ = strconv.Atoi(v)
	case "fallback":
		r.Fallback = v
	case "service_url":
		r.ServiceURL = v
	}
}
