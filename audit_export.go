package offboard

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuditCSVHeader returns the columns of the CSV audit export.
func AuditCSVHeader() []string {
	return []string{"seq", "time", "case_id", "action", "target", "outcome", "actor_kind", "actor_id",
		"actor_email", "actor_platform_user", "detail", "evidence", "prev_hash", "hash"}
}

// WriteAudit writes the events that each yields as JSON lines ("json")
// or as CSV with AuditCSVHeader ("csv"), and returns how many it wrote.
// The CLI and the dashboard share it, so both exports are the same file.
func WriteAudit(w io.Writer, format string, each func(func(*AuditEvent) error) error) (int, error) {
	n := 0
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		err := each(func(e *AuditEvent) error {
			n++
			return enc.Encode(e)
		})
		return n, err
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(AuditCSVHeader()); err != nil {
			return 0, err
		}
		err := each(func(e *AuditEvent) error {
			n++
			return cw.Write([]string{
				strconv.FormatUint(e.Seq, 10), e.Time.UTC().Format(time.RFC3339Nano), string(e.CaseID), e.Action, e.Target, e.Outcome,
				string(e.Actor.Kind), e.Actor.ID, e.Actor.Email, e.Actor.PlatformUserID,
				csvSafe(e.Detail), csvSafe(formatEvidence(e.Evidence)), e.PrevHash, e.Hash,
			})
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		return n, err
	}
	return 0, fmt.Errorf("unknown audit export format %q: use json or csv", format)
}

// CSVSafe is csvSafe for the other CSV writers (the evidence index).
func CSVSafe(s string) string { return csvSafe(s) }

// csvSafe stops spreadsheet formula injection: case data (names, notes)
// comes from people and HR systems.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func formatEvidence(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, "; ")
}

// Humanize writes a duration the way people say it: "45s", "5m",
// "2h 5m", "1 day 4h", "3 days". Every surface (chat cards, the
// assistant, the dashboard) uses it, so they say the same thing.
func Humanize(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d > 0 && d < time.Second:
		// Revocations often take under a second: "0s" would hide it.
		return fmt.Sprintf("%dms", max(1, int(d/time.Millisecond)))
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	if days < 3 && h > 0 {
		return fmt.Sprintf("%d %s %dh", days, unit, h)
	}
	return fmt.Sprintf("%d %s", days, unit)
}
