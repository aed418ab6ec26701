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
