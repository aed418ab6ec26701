package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// importColumns are the columns a layoff CSV may have; email is required.
var importColumns = []string{"email", "name", "manager_email", "kind", "last_day", "time_zone", "effective_at", "notes", "title", "department"}

// utf8BOM starts files Excel saves as "CSV UTF-8".
var utf8BOM = []byte("\xef\xbb\xbf")

type importRow struct {
	line  int
	email string
	kind  offboard.DepartureKind
	key   string
	body  map[string]any
}

// importRules are what a row is checked against before anything is sent.
type importRules struct {
	defaultKind offboard.DepartureKind
	now         time.Time
	// zone is the company's time zone when the config is known; nil: a
	// day is past only when it is past everywhere.
	zone      *time.Location
	maxFuture time.Duration
}

// importFile is a checked file: its rows and the columns it ignores.
type importFile struct {
	rows    []importRow
	ignored []string
}

// readImport reads and checks the whole file before anything is sent, so
// a typo in row 900 does not leave a half-done import. Every problem is
// reported, each with its line.
func readImport(path string, rules importRules) (*importFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1 // a short row is reported with its line, not as the file's end
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: no header row: %w", path, err)
	}
	col := map[string]int{}
	out := &importFile{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(importColumns, h):
			out.ignored = append(out.ignored, h)
		case hasKey(col, h):
			return nil, fmt.Errorf("%s: the header names column %q twice", path, h)
		default:
			col[h] = i
		}
	}
	if !hasKey(col, "email") {
		return nil, fmt.Errorf("%s: the header has no email column (its columns: %s; known: %s)", path, strings.Join(header, ", "), strings.Join(importColumns, ", "))
	}
	var problems []string
	var needDay []int // lines of rows that need a last day the file has no column for
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if blankRecord(rec) {
			continue // spreadsheets leave rows of empty cells at the end
		}
		if len(rec) != len(header) {
			problems = append(problems, fmt.Sprintf("line %d: has %d columns, the header has %d", line, len(rec), len(header)))
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row, rowProblems := rules.checkRow(line, get, hasKey(col, "last_day"))
		if len(rowProblems) > 0 {
			for _, p := range rowProblems {
				problems = append(problems, fmt.Sprintf("line %d: %s", line, p))
			}
			continue
		}
		if row.email != "" {
			if prev, dup := seen[row.email]; dup {
				problems = append(problems, fmt.Sprintf("line %d: %s is also on line %d", line, row.email, prev))
				continue
			}
			seen[row.email] = line
		}
		if !hasKey(col, "last_day") && !row.kind.Immediate() {
			needDay = append(needDay, line)
			continue
		}
		out.rows = append(out.rows, row)
	}
	if len(needDay) > 0 {
		problems = append(problems, fmt.Sprintf("the file has no last_day column, and %d rows (lines %s) are departures that need one (YYYY-MM-DD); only an involuntary exit goes without",
			len(needDay), lineList(needDay)))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: nothing imported, nothing sent:\n  %s", path, strings.Join(problems, "\n  "))
	}
	if len(out.rows) == 0 {
		return nil, fmt.Errorf("%s: nothing imported: the file has a header but no rows", path)
	}
	return out, nil
}

// checkRow turns one record into a request body, or says everything
// wrong with it.
func (rules importRules) checkRow(line int, get func(string) string, hasLastDay bool) (importRow, []string) {
	var problems []string
	email := strings.ToLower(get("email"))
	if !isEmail(email) {
		problems = append(problems, fmt.Sprintf("email %q is not an email address", get("email")))
	}
	if m := strings.ToLower(get("manager_email")); m != "" && !isEmail(m) {
		problems = append(problems, fmt.Sprintf("manager_email %q is not an email address", get("manager_email")))
	}
	kind := rules.defaultKind
	if s := get("kind"); s != "" {
		k, err := offboard.ParseDepartureKind(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("kind %q is not a departure kind: use voluntary, involuntary, retirement or contract_end", s))
		}
		kind = k
	}
	zone, zoneName := rules.zone, ""
	if rules.zone != nil {
		zoneName = rules.zone.String()
	}
	if tz := get("time_zone"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			problems = append(problems, fmt.Sprintf("time_zone %q is not an IANA time zone such as Europe/Berlin", tz))
		} else {
			zone, zoneName = loc, tz
		}
	}
	lastDay := get("last_day")
	if lastDay != "" {
		if p := rules.checkDay(lastDay, kind, zone, zoneName); p != "" {
			problems = append(problems, p)
		}
	} else if hasLastDay && kind != "" && !kind.Immediate() {
		problems = append(problems, fmt.Sprintf("a %s departure needs a last_day (YYYY-MM-DD)", kind))
	}
	eff := get("effective_at")
	if eff != "" {
		if at, err := time.Parse(time.RFC3339, eff); err != nil {
			problems = append(problems, fmt.Sprintf("effective_at %q is not in the expected format: an RFC 3339 time such as 2026-12-31T17:00:00Z", eff))
		} else if at.After(rules.now.Add(rules.maxFuture)) {
			problems = append(problems, fmt.Sprintf("effective_at %s is more than %s ahead", eff, spanDays(rules.maxFuture)))
		}
	}
	if len(problems) > 0 {
		return importRow{}, problems
	}
	emp := map[string]string{"email": email, "name": get("name"), "manager_email": strings.ToLower(get("manager_email")),
		"time_zone": get("time_zone"), "title": get("title"), "department": get("department")}
	body := map[string]any{"employee": emp, "kind": string(kind), "last_day": lastDay, "notes": get("notes")}
	if eff != "" {
		body["effective_at"] = eff
	}
	return importRow{line: line, email: email, kind: kind, key: "import:" + email + ":" + lastDay, body: body}, nil
}

// checkDay checks a last day: its format, and that it is not past for a
// departure that is not immediate, nor further ahead than the server
// takes.
func (rules importRules) checkDay(s string, kind offboard.DepartureKind, zone *time.Location, zoneName string) string {
	day, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "last_day " + dateAdvice(s)
	}
	if day.After(rules.now.Add(rules.maxFuture)) {
		return fmt.Sprintf("last_day %s is more than %s ahead; is the year right?", s, spanDays(rules.maxFuture))
	}
	if kind.Immediate() {
		return "" // an involuntary exit may be recorded after the fact
	}
	shown, where := zone, " in "+zoneName
	if zone == nil {
		// Without the company's zone, a day is past only when it is past
		// where the date is earliest (UTC-12), so past for everyone.
		zone, shown, where = time.FixedZone("UTC-12", -12*3600), time.UTC, " in UTC"
	}
	if s < rules.now.In(zone).Format(time.DateOnly) {
		return fmt.Sprintf("last_day %s is in the past (today is %s%s); only an involuntary exit may have a past last day",
			s, rules.now.In(shown).Format(time.DateOnly), where)
	}
	return ""
}

var (
	dayFirstRE = regexp.MustCompile(`^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$`)
	yearSlash  = regexp.MustCompile(`^(\d{4})[./](\d{1,2})[./](\d{1,2})$`)
)

// dateAdvice says how to write a date that is not YYYY-MM-DD, naming the
// day it most likely means ("31/12/2026": write 2026-12-31).
func dateAdvice(s string) string {
	const want = "is not in the expected format YYYY-MM-DD"
	valid := func(y, m, d int) (string, bool) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		return t.Format(time.DateOnly), t.Month() == time.Month(m) && t.Day() == d
	}
	if sm := yearSlash.FindStringSubmatch(s); sm != nil {
		y, _ := strconv.Atoi(sm[1])
		m, _ := strconv.Atoi(sm[2])
		d, _ := strconv.Atoi(sm[3])
		if iso, ok := valid(y, m, d); ok {
			return fmt.Sprintf("%q %s: write %s", s, want, iso)
		}
	}
	if sm := dayFirstRE.FindStringSubmatch(s); sm != nil {
		a, _ := strconv.Atoi(sm[1])
		b, _ := strconv.Atoi(sm[2])
		y, _ := strconv.Atoi(sm[3])
		dayFirst, dfOK := valid(y, b, a)
		monthFirst, mfOK := valid(y, a, b)
		switch {
		case dfOK && mfOK && a != b:
			return fmt.Sprintf("%q %s: write %s (day first) or %s (month first)", s, want, dayFirst, monthFirst)
		case dfOK:
			return fmt.Sprintf("%q %s: write %s", s, want, dayFirst)
		case mfOK:
			return fmt.Sprintf("%q %s: write %s", s, want, monthFirst)
		}
	}
	return fmt.Sprintf("%q %s, such as 2026-12-31", s, want)
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Count(s, "@") == 1
}

func blankRecord(rec []string) bool {
	return !slices.ContainsFunc(rec, func(f string) bool { return strings.TrimSpace(f) != "" })
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}

// lineList names lines, the first few of many.
func lineList(lines []int) string {
	parts := make([]string, 0, 6)
	for i, l := range lines {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(lines)-5))
			break
		}
		parts = append(parts, strconv.Itoa(l))
	}
	return strings.Join(parts, ", ")
}

// spanDays words a window in days ("730 days").
func spanDays(d time.Duration) string {
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}
