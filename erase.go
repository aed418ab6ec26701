package offboard

import (
	"regexp"
	"strings"
	"time"
)

// Retention of personal data (issue 18 item 4). A case opened by this
// version gets a random key of its own; audit events of the case carry
// PersonalToken(key, value) where the leaver's name or email would be, and
// the plaintext lives outside the chain in a per-case record. Erasure
// deletes the key and the plaintext: the chain's bytes never held them, so
// every hash stays valid, and what the tokens stood for can no longer be
// recovered or confirmed (crypto-shredding).

// EraseCase erases the personal data of a closed case's leaver once the
// configured retention after closing has passed. The scheduler sends it
// as the system; a person needs the admin role and a reason.
type EraseCase struct {
	By     Actor
	CaseID CaseID
	Reason string
}

func (c EraseCase) Actor() Actor { return c.By }
func (EraseCase) Name() string   { return "erase_case" }

// CanErase reports whether a actor may erase a case's personal data:
// offboard's own scheduler, or an admin.
func CanErase(a Actor) bool {
	return a.Kind == ActorSystem && a.Has(RoleSystem) || a.IsAdmin()
}

// ErasedText is what a field erased at t reads.
func ErasedText(t time.Time) string {
	return "erased on " + t.UTC().Format("2006-01-02")
}

// ErasedMark replaces a personal string inside a longer text that was
// scrubbed at erasure (notes, card texts, job payloads).
const ErasedMark = "[erased]"

// Erasure is what the store did to erase a case.
type Erasure struct {
	// Records counts the case's records rewritten (case, tasks,
	// approvals, jobs, dead letters).
	Records int
	// Removed counts index entries, dedupe keys and delivery markers
	// deleted.
	Removed int
	// Tokens counts the personal values whose plaintext was deleted.
	Tokens int
}

// personalTokenRE matches a token as it sits in an audit event's text.
var personalTokenRE = regexp.MustCompile(`\[pd:[0-9a-f]{32}\]`)

// RevealPersonal puts the plaintext back into s for each token values
// knows; a token values does not know reads erased (erased on …) when
// erasedAt is set, and stays as it is otherwise.
func RevealPersonal(s string, values map[string]string, erasedAt *time.Time) string {
	if !strings.Contains(s, "[pd:") {
		return s
	}
	return personalTokenRE.ReplaceAllStringFunc(s, func(tok string) string {
		if v, ok := values[tok]; ok {
			return v
		}
		if erasedAt != nil {
			return "[" + ErasedText(*erasedAt) + "]"
		}
		return tok
	})
}

// RevealEvent returns a copy of e with its tokens revealed (see
// RevealPersonal). Its hash no longer covers its text: it is for reading,
// never for verifying.
func RevealEvent(e *AuditEvent, values map[string]string, erasedAt *time.Time) *AuditEvent {
	out := *e
	out.Target = RevealPersonal(e.Target, values, erasedAt)
	out.Detail = RevealPersonal(e.Detail, values, erasedAt)
	out.Actor.ID = RevealPersonal(e.Actor.ID, values, erasedAt)
	out.Actor.Email = RevealPersonal(e.Actor.Email, values, erasedAt)
	out.Actor.Name = RevealPersonal(e.Actor.Name, values, erasedAt)
	if len(e.Evidence) > 0 {
		out.Evidence = make(map[string]string, len(e.Evidence))
		for k, v := range e.Evidence {
			out.Evidence[k] = RevealPersonal(v, values, erasedAt)
		}
	}
	return &out
}

// ReplaceFold replaces every occurrence of old in s with repl, ignoring
// ASCII case when both are ASCII (emails are written in any case), and
// exactly otherwise.
func ReplaceFold(s, old, repl string) string {
	if old == "" {
		return s
	}
	if !isASCII(s) || !isASCII(old) {
		return strings.ReplaceAll(s, old, repl)
	}
	ls, lo := strings.ToLower(s), strings.ToLower(old)
	if !strings.Contains(ls, lo) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(ls, lo)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, ls = s[i+len(old):], ls[i+len(old):]
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// PersonalEvidenceKeys are the evidence keys whose values name the
// leaver's own account in a vendor's words: an Entra user principal name
// or an Okta login is often not the work email (jdoe@corp.onmicrosoft.com,
// jdoe). Their values become personal strings of the case when an event
// carries them, so they are tokenised in the chain and erased with the
// rest. Keys naming other people (a receiver, a manager) are not here.
var PersonalEvidenceKeys = []string{"user_principal_name", "login", "primary_email", "old_owner"}

// PersonalStrings are the strings of a case that are the leaver's
// personal data and are tokenised in its audit events: the name and the
// work email (the only ones a case holds; Employee has no private email).
// The manager's email is not among them: it is the approver's identity,
// which the approvals' evidence needs, and it is not the leaver's data.
// Strings shorter than 3 bytes are left out: they would match inside
// ordinary words.
func PersonalStrings(e Employee) []string {
	var out []string
	for _, s := range []string{e.Email, e.Name} {
		s = strings.TrimSpace(s)
		if len(s) >= 3 && !containsFold(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
