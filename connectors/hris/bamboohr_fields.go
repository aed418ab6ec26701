package hris

import (
	"sort"
	"strings"
)

// BambooHR posts a field under its English name ("Work Email",
// "Employment Status") unless the admin gave it an alias, which may be
// in any style ("workEmail", "work_email"). Names are therefore compared
// by their letters and digits only, without regard to case, and each
// field offboard reads is known by its API name and its English name.
var bambooFieldNames = map[string][]string{
	"workEmail":               {"workemail"},
	"email":                   {"email"},
	"firstName":               {"firstname"},
	"lastName":                {"lastname"},
	"displayName":             {"displayname"},
	"supervisorEmail":         {"supervisoremail", "reportingtoemail", "manageremail"},
	"employmentHistoryStatus": {"employmenthistorystatus", "employmentstatus"},
	"status":                  {"status"},
	"terminationDate":         {"terminationdate"},
	"terminationType":         {"terminationtype"},
	"jobTitle":                {"jobtitle"},
	"department":              {"department"},
	"location":                {"location"},
}

// normFieldName keeps a field name's letters and digits, lower-cased.
func normFieldName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normFields indexes fields by normalized name. When two names fold to
// the same one, the first non-empty value in name order wins, so the
// answer does not depend on map order.
func normFields(fields map[string]string) map[string]string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make(map[string]string, len(fields))
	for _, k := range names {
		n := normFieldName(k)
		if v := strings.TrimSpace(fields[k]); out[n] == "" {
			out[n] = v
		}
	}
	return out
}

// field is the value of the field offboard knows by apiName, under any
// of its names, trimmed; "" when not sent.
func (e bambooEmployee) field(apiName string) string {
	for _, n := range bambooFieldNames[apiName] {
		if v := e.norm[n]; v != "" {
			return v
		}
	}
	return ""
}
