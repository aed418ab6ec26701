package bot

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// deviceSections are the IT card's lines about the person's devices: one
// section per device system, one line per device, from the newest list a
// device task read (the card draws stored evidence, never the MDM).
func deviceSections(tasks []*offboard.Task, now time.Time, loc *time.Location) []offboard.Section {
	var out []offboard.Section
	for _, snap := range offboard.LatestDevices(tasks) {
		label := orDash(snap.Label, snap.System)
		s := offboard.Section{Heading: "Devices in " + label, Tone: offboard.ToneInfo}
		if len(snap.Devices) == 0 {
			s.Text = "No managed device found for the person."
		} else {
			lines := make([]string, len(snap.Devices))
			for i, d := range snap.Devices {
				lines[i] = "• " + d.Line(now)
				if d.Compliance == offboard.NonCompliant {
					s.Tone = offboard.ToneWarning
				}
			}
			s.Text = strings.Join(lines, "\n")
		}
		s.Fields = append(s.Fields, offboard.Field{Label: "Read", Value: formatTime(snap.ReadAt, now, loc)})
		out = append(out, s)
	}
	return out
}

// evidenceShown is a task's evidence without the device list, the
// device return and the names of the task's secrets, which the card
// shows as their own lines.
func evidenceShown(ev map[string]string) map[string]string {
	out := maps.Clone(ev)
	maps.DeleteFunc(out, func(k, _ string) bool {
		// The device list and the return have their own lines.
		return k == offboard.EvidenceDevices || k == "secrets" || strings.HasPrefix(k, "return.") && k != "return.recorded_by"
	})
	return out
}

// roleDeciders says who decides an approval a role decides: "2 different
// people of IT", by the label of the department whose role it is.
func roleDeciders(a *offboard.Approval, depts offboard.Departments) string {
	who := string(a.Role)
	for _, d := range depts.Names() {
		if depts.RoleOf(d) == a.Role {
			who = depts.Label(d)
			break
		}
	}
	if a.Required() == 1 {
		return "someone of " + who
	}
	return fmt.Sprintf("%d different people of %s", a.Required(), who)
}

// approvalCount is "1 of 2 approvals".
func approvalCount(a *offboard.Approval) string {
	return fmt.Sprintf("%d of %d approvals", a.Yeses(), a.Required())
}

// managerFinanceDeciders says who decides a write-off: "mona@x (the
// manager) and someone of Finance".
func managerFinanceDeciders(a *offboard.Approval, depts offboard.Departments) string {
	manager := orDash(a.Approver, "an admin (no manager known)")
	if a.Approver != "" {
		manager += " (the manager)"
	}
	return manager + " and someone of " + departmentOfRole(depts, a.Role)
}

// departmentOfRole names the department whose role r is ("Finance"),
// else the role.
func departmentOfRole(depts offboard.Departments, r offboard.Role) string {
	for _, d := range depts.Names() {
		if depts.RoleOf(d) == r {
			return depts.Label(d)
		}
	}
	return string(r)
}

// notWho says who may not decide an approval: never the person leaving,
// nor who asked when a person asked (offboard asks for write-offs).
func notWho(a *offboard.Approval) string {
	if strings.HasPrefix(a.RequestedBy, string(offboard.ActorSystem)+":") {
		return "never the person leaving"
	}
	return "neither " + a.RequestedBy + " (who asked) nor the person leaving"
}

// returnWords is a device return's card line, with its write-off when
// one was asked: "not received yet · not wiped yet · write-off asked".
func returnWords(t *offboard.Task) string {
	s := offboard.DeviceReturnOf(t).Words()
	if w := offboard.WriteOffWords(t); w != "" {
		s += " · " + w
	}
	return s
}

// writeOffSections are Finance's card lines about the case's device
// write-offs (the tasks are IT's): asked, denied, or written off and for
// what value.
func writeOffSections(v *offboard.CaseView) []offboard.Section {
	var out []offboard.Section
	for _, t := range v.Tasks {
		w := offboard.WriteOffWords(t)
		if t.Track != offboard.TrackDeviceReturn || w == "" {
			continue
		}
		s := offboard.Section{Heading: "Device write-off: " + t.Title, Text: w, Tone: offboard.ToneWarning}
		if t.Evidence[offboard.EvidenceWriteOff] == offboard.WriteOffWrittenOff {
			s.Tone = offboard.ToneInfo
		}
		if val := t.Evidence[offboard.EvidenceWriteOffValue]; val != "" {
			s.Fields = append(s.Fields, offboard.Field{Label: "Value", Value: val})
		}
		out = append(out, s)
	}
	return out
}
