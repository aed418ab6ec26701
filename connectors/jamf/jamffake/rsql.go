package jamffake

import (
	"fmt"
	"strings"
)

// clause is one field==value of an RSQL filter.
type clause struct {
	field, value string
}

// parseRSQL reads the filters offboard sends: comparisons joined by ";"
// (and), each field==value with the value bare or double-quoted
// (backslash escapes). OR (","), the other operators (!=, =in=, =lt=, …)
// and fields outside allowed are refused, as Jamf refuses a filter it
// cannot apply. Jamf's docs do not say whether == on strings ignores case;
// the fake compares emails and usernames without case, like the
// directory they come from.
func parseRSQL(filter string, allowed ...string) ([]clause, error) {
	var out []clause
	rest := filter
	for rest != "" {
		i := strings.Index(rest, "==")
		if i <= 0 {
			return nil, fmt.Errorf("cannot parse the filter %q: want field==value (the fake supports only ==)", filter)
		}
		field := rest[:i]
		if strings.ContainsAny(field, "!=<>(),;\"'") {
			return nil, fmt.Errorf("cannot parse the filter %q: the fake supports only == joined by ;", filter)
		}
		if !contains(allowed, field) {
			return nil, fmt.Errorf("field %q cannot be used in the filter", field)
		}
		rest = rest[i+2:]
		var value string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			j := 1
			for ; j < len(rest); j++ {
				ch := rest[j]
				if ch == '\\' && j+1 < len(rest) {
					j++
					b.WriteByte(rest[j])
					continue
				}
				if ch == '"' {
					break
				}
				b.WriteByte(ch)
			}
			if j >= len(rest) {
				return nil, fmt.Errorf("cannot parse the filter %q: unterminated string", filter)
			}
			value, rest = b.String(), rest[j+1:]
		} else {
			end := strings.IndexAny(rest, ";,")
			if end < 0 {
				end = len(rest)
			}
			value, rest = rest[:end], rest[end:]
			if strings.ContainsAny(value, `"'()`) || value == "" {
				return nil, fmt.Errorf("cannot parse the filter %q: bad value %q", filter, value)
			}
		}
		out = append(out, clause{field: field, value: value})
		switch {
		case rest == "":
		case rest[0] == ';':
			rest = rest[1:]
			if rest == "" {
				return nil, fmt.Errorf("cannot parse the filter %q: trailing ;", filter)
			}
		default:
			return nil, fmt.Errorf("cannot parse the filter %q: the fake supports only == joined by ; (no OR)", filter)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the filter is empty")
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
