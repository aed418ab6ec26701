package offboard

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Redacted replaces a secret wherever a Redactor finds one.
const Redacted = "[REDACTED]"

// minSecretLen is the shortest value a Redactor looks for: shorter ones
// would blank out ordinary words, and no credential is that short.
const minSecretLen = 4

// minLineLen is the shortest line of a multi-line secret (a PEM body)
// that is looked for on its own.
const minLineLen = 16

// minBase64Core is the shortest base64 fragment looked for: shorter ones
// could match ordinary text by chance.
const minBase64Core = 12

// Redactor removes the configured secrets from text before it is logged,
// stored, posted to chat or sent to a language model. Upstream services
// echo requests in their errors, so it looks for each secret as written,
// URL-encoded (a form body), JSON-escaped, and base64-encoded at any
// alignment (a Basic auth header); a multi-line secret such as a PEM key
// is also looked for line by line. A nil *Redactor changes nothing.
type Redactor struct {
	r     *strings.Replacer
	terms []string
}

// NewRedactor builds a Redactor for secrets; empty and very short values
// are ignored.
func NewRedactor(secrets ...string) *Redactor {
	seen := map[string]bool{}
	var terms []string
	add := func(t string, min int) {
		if len(t) >= min && !seen[t] && t != Redacted {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	var addForms func(s string, min int)
	addForms = func(s string, min int) {
		if len(s) < min {
			return
		}
		add(s, min)
		add(url.QueryEscape(s), min)
		add(url.PathEscape(s), min)
		add(jsonEscape(s, true), min)
		add(jsonEscape(s, false), min)
		for _, core := range base64Cores(s) {
			add(core, minBase64Core)
		}
	}
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		addForms(s, minSecretLen)
		if strings.ContainsAny(s, "\r\n") {
			for line := range strings.Lines(s) {
				line = strings.TrimSpace(line)
				if strings.HasPrefix(line, "-----") {
					continue // a PEM header names the kind of key, it is no secret
				}
				addForms(line, minLineLen)
			}
		}
	}
	if len(terms) == 0 {
		return &Redactor{}
	}
	// strings.Replacer tries the old strings in argument order at each
	// position: longest first, so a secret wins over a line within it.
	slices.SortFunc(terms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(terms))
	for _, t := range terms {
		pairs = append(pairs, t, Redacted)
	}
	return &Redactor{r: strings.NewReplacer(pairs...), terms: terms}
}

// String returns s with every secret replaced by Redacted.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil || s == "" {
		return s
	}
	return r.r.Replace(s)
}

// Map returns a copy of m with every value redacted (nil stays nil).
func (r *Redactor) Map(m map[string]string) map[string]string {
	if m == nil || r == nil || r.r == nil {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = r.String(v)
	}
	return out
}

// Contains reports whether s holds a secret in any form looked for.
func (r *Redactor) Contains(s string) bool {
	if r == nil {
		return false
	}
	for _, t := range r.terms {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

// Empty reports whether r looks for nothing.
func (r *Redactor) Empty() bool { return r == nil || len(r.terms) == 0 }

// jsonEscape returns s as it appears inside a JSON string.
func jsonEscape(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(s) != nil {
		return s
	}
	out := strings.TrimSpace(b.String())
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// base64Cores returns, for each of the three alignments a secret can
// have in an encoded stream, the base64 of the whole 3-byte groups that
// hold only secret bytes (in the standard and the URL alphabet). Any
// base64 text that encodes the secret contains one of them, whatever
// comes before or after it (as in "user:password" of Basic auth).
func base64Cores(s string) []string {
	var cores []string
	for j := 0; j < 3 && j < len(s); j++ {
		n := (len(s) - j) / 3 * 3
		if n == 0 {
			continue
		}
		chunk := []byte(s[j : j+n])
		cores = append(cores, base64.StdEncoding.EncodeToString(chunk), base64.URLEncoding.EncodeToString(chunk))
	}
	return cores
}

// MaxUpstreamBody is how much of an outside service's answer is kept in
// an error: enough for its error code and message, not a whole page.
const MaxUpstreamBody = 512

// UpstreamText returns the start of an outside service's answer for an
// error message: trimmed, valid UTF-8, at most MaxUpstreamBody bytes
// (cut on a rune boundary, marked with "…"). It removes no secret: the
// Redactor does that where errors are logged and stored.
func UpstreamText(b []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(b)), "\uFFFD")
	if len(s) <= MaxUpstreamBody {
		return s
	}
	n := MaxUpstreamBody
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
