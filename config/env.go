package config

import (
	"bytes"
	"fmt"
	"strings"
)

// expandEnv replaces ${NAME} and ${NAME:-default} in src, line by line,
// leaving comments alone. "$$" is a literal "$"; a "$" followed by anything
// else is kept as it is. ${NAME:-default} uses default when NAME is unset
// or empty (as the shell does). An unset variable without a default, or a
// value with a line break (it would shift every line number after it), is
// a problem on that line.
func expandEnv(src []byte, lookup func(string) (string, bool)) ([]byte, []Problem) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	if !bytes.ContainsRune(src, '$') {
		return src, nil
	}
	var out bytes.Buffer
	out.Grow(len(src))
	var problems []Problem
	for i, line := range strings.SplitAfter(string(src), "\n") {
		code, comment := line, ""
		if c := commentStart(line); c >= 0 {
			code, comment = line[:c], line[c:]
		}
		expanded, probs := expandLine(code, i+1, lookup)
		problems = append(problems, probs...)
		out.WriteString(expanded)
		out.WriteString(comment)
	}
	return out.Bytes(), problems
}

func expandLine(s string, line int, lookup func(string) (string, bool)) (string, []Problem) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var problems []Problem
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			problems = append(problems, Problem{Line: line, Message: "unterminated ${ (write $$ for a literal $)"})
			b.WriteString(s[i:])
			break
		}
		inner := s[i+2 : i+2+end]
		i += 2 + end + 1
		name, def, hasDef := strings.Cut(inner, ":-")
		if !validEnvName(name) {
			problems = append(problems, Problem{Line: line, Message: fmt.Sprintf(
				"invalid reference ${%s}: want ${NAME} or ${NAME:-default} (write $$ for a literal $)", inner)})
			continue
		}
		v, ok := lookup(name)
		switch {
		case hasDef && v == "":
			v = def
		case !ok:
			problems = append(problems, Problem{Line: line, Message: fmt.Sprintf("environment variable %s is not set", name)})
			continue
		}
		if strings.ContainsAny(v, "\r\n") {
			problems = append(problems, Problem{Line: line, Message: fmt.Sprintf(
				"environment variable %s contains a line break; put the value in a file and use the *_file key", name)})
			continue
		}
		b.WriteString(v)
	}
	return b.String(), problems
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// commentStart returns the index of the "#" that starts a YAML comment on
// the line, or -1. A comment starts with "#" at the start of the line or
// after a space or tab, outside quotes. A quote opens a quoted scalar only
// where a scalar may start (line start, after a space, tab, "[", "{" or
// ","), so the apostrophe in "Bob's" does not hide a comment.
func commentStart(line string) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch quote {
		case '"':
			switch c {
			case '\\':
				i++
			case '"':
				quote = 0
			}
			continue
		case '\'':
			if c == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
				} else {
					quote = 0
				}
			}
			continue
		}
		atStart := i == 0 || strings.IndexByte(" \t[{,", line[i-1]) >= 0
		switch {
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		case (c == '"' || c == '\'') && atStart:
			quote = c
		}
	}
	return -1
}
