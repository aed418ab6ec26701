package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/offboard-dev/offboard"
)

// FormDeviceReturn records a device's way back on the task tracking it.
const FormDeviceReturn = "device_return"

// Choices of the form's "wiped" input.
const (
	wipedYes = "yes"
	wipedNo  = "no"
)

// DeviceReturnForm asks what is known of the device's return: the
// shipping reference, the day it arrived and its condition, and whether (and by whom) it
// was wiped, starting from what is already recorded. Its state is the
// button's ActionRef (ids only); t may be nil when a platform rebuilds
// the form from its state alone.
func DeviceReturnForm(ref offboard.ActionRef, t *offboard.Task) *offboard.Form {
	var r offboard.DeviceReturn
	title := "the device"
	if t != nil {
		r, title = offboard.DeviceReturnOf(t), "“"+t.Title+"”"
	}
	wiped := wipedNo
	if r.Wiped {
		wiped = wipedYes
	}
	return &offboard.Form{
		ID:     FormDeviceReturn,
		Title:  "Record the return",
		Submit: "Record",
		State:  offboard.ActionRef{Verb: offboard.VerbRecordReturn, CaseID: ref.CaseID, TaskKey: ref.TaskKey}.Encode(),
		Inputs: []offboard.Input{
			{ID: "shipping_ref", Label: "Shipping reference", Kind: offboard.InputText, Initial: r.ShippingRef,
				Hint: "The carrier's tracking number or the return label, for " + title},
			{ID: "received_on", Label: "Received on", Kind: offboard.InputDate, Initial: r.ReceivedOn,
				Hint: "Leave empty until it has arrived"},
			{ID: "condition", Label: "Condition", Kind: offboard.InputText, Initial: r.Condition,
				Placeholder: "Good; screen cracked; missing charger…"},
			{ID: "wiped", Label: "Wiped", Kind: offboard.InputSelect, Initial: wiped, Required: true,
				Options: []offboard.Option{{Value: wipedNo, Label: "Not yet"}, {Value: wipedYes, Label: "Yes, wiped"}}},
			{ID: "wiped_by", Label: "Wiped by", Kind: offboard.InputEmail, Initial: r.WipedBy,
				Hint: "Their email; you, when left empty. The task is done once it is received and wiped, or handed on."},
			{ID: "reassigned_to", Label: "Handed on to", Kind: offboard.InputEmail, Initial: r.ReassignedTo,
				Hint: "Instead of a wipe: who has the received device now"},
		},
	}
}

func (r *Router) clickRecordReturn(ctx context.Context, who offboard.Actor, ref offboard.ActionRef) offboard.Reply {
	return r.taskForm(ctx, who, ref, func(t *offboard.Task) *offboard.Form {
		if t.Track != offboard.TrackDeviceReturn {
			return nil
		}
		return DeviceReturnForm(ref, t)
	})
}

// submitDeviceReturn checks the form field by field, then sends
// RecordDeviceReturn; the engine checks again and decides who may.
func (r *Router) submitDeviceReturn(ctx context.Context, who offboard.Actor, state string, val func(string) string) (offboard.Reply, error) {
	ref, err := offboard.ParseActionRef(state)
	if err != nil || ref.Verb != offboard.VerbRecordReturn || ref.CaseID == "" || ref.TaskKey == "" {
		return offboard.Reply{Ephemeral: true, Text: "That form is out of date; refresh the card and try again."}, nil
	}
	ret := offboard.DeviceReturn{
		ShippingRef: cleanText(val("shipping_ref")),
		ReceivedOn:  val("received_on"),
		WipedBy:     strings.ToLower(val("wiped_by")),
		Condition:   cleanText(val("condition")),
		// Handing on is the other way a received device's return ends.
		ReassignedTo: strings.ToLower(strings.TrimSpace(val("reassigned_to"))),
	}
	fe := offboard.FieldErrors{}
	switch val("wiped") {
	case wipedYes:
		ret.Wiped = true
		if ret.WipedBy == "" {
			ret.WipedBy = strings.ToLower(who.Email)
		}
	case wipedNo, "":
	default:
		fe["wiped"] = "Choose yes or not yet."
	}
	for k, msg := range ret.Validate(r.clock.Now(), r.loc) {
		fe[k] = msg
	}
	if len(fe) > 0 {
		return offboard.Reply{}, fe
	}
	if ret == (offboard.DeviceReturn{}) {
		return offboard.Reply{}, offboard.FieldErrors{"shipping_ref": "Record at least one thing: the reference, the day it arrived, or the wipe."}
	}
	res, err := r.apply(ctx, offboard.RecordDeviceReturn{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey, Return: ret})
	if err != nil {
		if offboard.ErrorCode(err) == offboard.EINVALID {
			msg := offboard.ErrorMessage(err)
			for _, k := range []string{"shipping_ref", "received_on", "wiped_by", "condition", "reassigned_to"} {
				if strings.Contains(msg, k+":") {
					return offboard.Reply{}, offboard.FieldErrors{k: msg[strings.Index(msg, k+":")+len(k)+2:]}
				}
			}
		}
		return r.failure(err), nil
	}
	name := personName(who)
	return r.taskReply(res, ref.TaskKey, func(title string) string {
		return fmt.Sprintf("%s recorded the return for “%s”: %s", name, title, ret.Words())
	}), nil
}
