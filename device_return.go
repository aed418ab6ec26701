package offboard

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// TrackDeviceReturn is the Track of a task that follows a device back to
// the company: shipped (a reference), received (a date), then wiped (by
// whom) or handed on to someone else as it is (to whom).
const TrackDeviceReturn = "device_return"

// DeviceReturn is what is known of a device's way back. Zero fields are
// not known yet.
type DeviceReturn struct {
	// ShippingRef is the carrier's tracking or the return label's number.
	ShippingRef string
	// ReceivedOn is the day the device arrived, "2006-01-02".
	ReceivedOn string
	// Wiped says the device was wiped by hand (or its MDM wipe was seen to
	// finish), by WipedBy (an email).
	Wiped   bool
	WipedBy string
	// Condition is how it arrived ("screen cracked"), in one line.
	Condition string
	// ReassignedTo is who the received device was handed on to (an
	// email), the other way a return ends besides a wipe.
	ReassignedTo string
}

// Evidence keys a device return is kept under on its task.
const (
	EvidenceShippingRef = "return.shipping_ref"
	EvidenceReceivedOn  = "return.received_on"
	EvidenceWipedBy     = "return.wiped_by"
	EvidenceCondition   = "return.condition"
	// EvidenceReassignedTo is who the device was handed on to.
	EvidenceReassignedTo = "return.reassigned_to"
)

// maxShippingRef is longer than any carrier's reference; more is a paste
// of something else.
const maxShippingRef = 64

// maxCondition keeps the condition a line on the card.
const maxCondition = 200

// Complete reports whether the return is finished: received, and wiped
// or handed on to someone.
func (r DeviceReturn) Complete() bool { return r.ReceivedOn != "" && (r.Wiped || r.ReassignedTo != "") }

// Validate checks a return against today in loc: a date that is a day
// and not in the future, a wiper who is an email, a reference and a
// condition that fit. Problems are keyed by field (shipping_ref,
// received_on, wiped_by, condition), so
// a form can show each beside its input.
func (r DeviceReturn) Validate(now time.Time, loc *time.Location) map[string]string {
	fe := map[string]string{}
	if len(r.ShippingRef) > maxShippingRef || strings.ContainsAny(r.ShippingRef, "\n\r\t") {
		fe["shipping_ref"] = fmt.Sprintf("A shipping reference is one line of at most %d characters.", maxShippingRef)
	}
	if len(r.Condition) > maxCondition || strings.ContainsAny(r.Condition, "\n\r\t") {
		fe["condition"] = fmt.Sprintf("Say the condition in one line of at most %d characters.", maxCondition)
	}
	if r.ReceivedOn != "" {
		if loc == nil {
			loc = time.UTC
		}
		day, err := time.ParseInLocation("2006-01-02", r.ReceivedOn, loc)
		switch {
		case err != nil:
			fe["received_on"] = "Give the day it arrived as YYYY-MM-DD."
		case day.After(now.In(loc)):
			fe["received_on"] = "That day has not come yet."
		}
	}
	if r.WipedBy != "" {
		a, err := mail.ParseAddress(r.WipedBy)
		if err != nil || a.Address != r.WipedBy {
			fe["wiped_by"] = "Give the email of who wiped it."
		}
	}
	if r.Wiped && r.WipedBy == "" {
		fe["wiped_by"] = "Say who wiped it."
	}
	if !r.Wiped && r.WipedBy != "" {
		fe["wiped_by"] = "Only say who wiped it once it is wiped."
	}
	if r.ReassignedTo != "" {
		a, err := mail.ParseAddress(r.ReassignedTo)
		if err != nil || a.Address != r.ReassignedTo {
			fe["reassigned_to"] = "Give the email of who has the device now."
		}
	}
	return fe
}

// Merge is r with the fields other sets filled in: a later record adds
// to what was known, it does not forget the shipping reference.
func (r DeviceReturn) Merge(other DeviceReturn) DeviceReturn {
	if other.ShippingRef != "" {
		r.ShippingRef = other.ShippingRef
	}
	if other.ReceivedOn != "" {
		r.ReceivedOn = other.ReceivedOn
	}
	if other.Wiped {
		r.Wiped, r.WipedBy = true, other.WipedBy
	}
	if other.Condition != "" {
		r.Condition = other.Condition
	}
	if other.ReassignedTo != "" {
		r.ReassignedTo = other.ReassignedTo
	}
	return r
}

// Evidence is the return as task evidence (known fields only).
func (r DeviceReturn) Evidence() map[string]string {
	ev := map[string]string{}
	if r.ShippingRef != "" {
		ev[EvidenceShippingRef] = r.ShippingRef
	}
	if r.ReceivedOn != "" {
		ev[EvidenceReceivedOn] = r.ReceivedOn
	}
	if r.Wiped {
		ev[EvidenceWipedBy] = r.WipedBy
	}
	if r.Condition != "" {
		ev[EvidenceCondition] = r.Condition
	}
	if r.ReassignedTo != "" {
		ev[EvidenceReassignedTo] = r.ReassignedTo
	}
	return ev
}

// DeviceReturnOf reads a task's recorded return from its evidence.
func DeviceReturnOf(t *Task) DeviceReturn {
	by, wiped := t.Evidence[EvidenceWipedBy]
	return DeviceReturn{ShippingRef: t.Evidence[EvidenceShippingRef], ReceivedOn: t.Evidence[EvidenceReceivedOn], Wiped: wiped, WipedBy: by,
		Condition: t.Evidence[EvidenceCondition], ReassignedTo: t.Evidence[EvidenceReassignedTo]}
}

// Words says the return in one line: "shipped (ref 1Z999) · received
// 2026-11-30 · wiped by tom@x", with what is still missing.
func (r DeviceReturn) Words() string {
	var parts []string
	if r.ShippingRef != "" {
		parts = append(parts, "shipping reference "+r.ShippingRef)
	}
	if r.ReceivedOn != "" {
		parts = append(parts, "received "+r.ReceivedOn)
		if r.Condition != "" {
			parts = append(parts, "condition: "+r.Condition)
		}
	} else {
		parts = append(parts, "not received yet")
	}
	switch {
	case r.Wiped:
		parts = append(parts, "wiped by "+r.WipedBy)
	case r.ReassignedTo == "":
		parts = append(parts, "not wiped yet")
	}
	if r.ReassignedTo != "" {
		parts = append(parts, "handed on to "+r.ReassignedTo)
	}
	return strings.Join(parts, " · ")
}

// Evidence keys of a device's write-off: a device still missing long
// after the revocation point is written off once the manager and Finance
// approve (flows asks them on Tick).
const (
	// EvidenceWriteOff is "asked" while the approval waits and "written
	// off" once it is granted.
	EvidenceWriteOff = "return.write_off"
	// EvidenceWrittenOffBy are who approved, comma separated; EvidenceWrittenOffAt
	// when the last of them did (RFC 3339).
	EvidenceWrittenOffBy = "return.written_off_by"
	EvidenceWrittenOffAt = "return.written_off_at"
	// EvidenceWriteOffValue is the devices' value as the device system
	// reported it, or "unknown".
	EvidenceWriteOffValue = "return.write_off_value"
)

// Write-off states kept under EvidenceWriteOff.
const (
	WriteOffAsked      = "asked"
	WriteOffDenied     = "denied"
	WriteOffWrittenOff = "written off"
)

// WriteOffWords says a device return task's write-off for a card line:
// "write-off asked", "written off by a@x, b@x (value 1,899.00 USD)", or
// "" when none was asked.
func WriteOffWords(t *Task) string {
	switch t.Evidence[EvidenceWriteOff] {
	case WriteOffAsked:
		return "write-off asked"
	case WriteOffDenied:
		return "write-off denied"
	case WriteOffWrittenOff:
		s := "written off by " + t.Evidence[EvidenceWrittenOffBy]
		if v := t.Evidence[EvidenceWriteOffValue]; v != "" {
			s += " (value " + v + ")"
		}
		return s
	}
	return ""
}
