package offboard

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
)

// PersonalToken is what an audit event holds in place of a leaver's
// personal string: HMAC-SHA256(key, value) cut to 128 bits. An email is
// hashed lowercased, as it is matched. Both store backends use it, so the
// chain's bytes do not depend on the backend.
func PersonalToken(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(value))))
	return "[pd:" + hex.EncodeToString(m.Sum(nil)[:16]) + "]"
}

// AddAccountNames adds to values (token → plaintext) the evidence values
// that name the leaver's account (PersonalEvidenceKeys: a UPN, a login,
// a primary email that differ from the work email), so this event and
// every later one hold them as tokens. It reports whether values changed.
func AddAccountNames(values map[string]string, key []byte, evidence map[string]string) bool {
	changed := false
	for _, k := range PersonalEvidenceKeys {
		v := strings.TrimSpace(evidence[k])
		if len(v) < 3 || slices.ContainsFunc(slices.Collect(maps.Values(values)), func(s string) bool { return strings.EqualFold(s, v) }) {
			continue
		}
		values[PersonalToken(key, v)] = v
		changed = true
	}
	return changed
}

// TokeniseEvent replaces the personal strings of values (token →
// plaintext) in e's target, detail, actor and evidence values with their
// tokens, longest first (a name may hold a shorter one), matching case.
func TokeniseEvent(e *AuditEvent, values map[string]string) {
	toks := slices.Collect(maps.Keys(values))
	slices.SortFunc(toks, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(values[b]), len(values[a])), cmp.Compare(a, b))
	})
	swap := func(s string) string {
		for _, tok := range toks {
			s = ReplaceFold(s, values[tok], tok)
		}
		return s
	}
	e.Target, e.Detail = swap(e.Target), swap(e.Detail)
	e.Actor.ID, e.Actor.Email, e.Actor.Name = swap(e.Actor.ID), swap(e.Actor.Email), swap(e.Actor.Name)
	if len(e.Evidence) > 0 {
		ev := make(map[string]string, len(e.Evidence))
		for k, v := range e.Evidence {
			ev[k] = swap(v)
		}
		e.Evidence = ev
	}
}
