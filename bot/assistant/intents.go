// Package assistant answers plain questions about offboarding cases in
// chat. It reads only through the engine's queries, which apply the
// asker's visibility, and never changes anything: it holds an
// offboard.CaseReader, which has no method that could.
//
// Two answerers satisfy bot.Assistant: Answerer, rule-based, which needs
// no model; and Model (model.go), which asks a language model over an
// OpenAI-compatible API with read-only tools (tools.go) and falls back to
// Answerer. It imports the root package and go-openai (the only
// package that may); bot reaches it through the bot.Assistant interface.
//
// This file holds the rule-based parser: it is pure, so it is
// table-tested.
package assistant

import (
	"regexp"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
)

// Intent is what a question asks for.
type Intent string

// Intents. The empty Intent means the question was not understood.
const (
	IntentStatus    Intent = "status"
	IntentLeft      Intent = "left"
	IntentOpenCases Intent = "open_cases"
	IntentOverdue   Intent = "overdue"
	IntentApprovals Intent = "approvals_waiting"
	IntentStats     Intent = "stats"
	IntentHelp      Intent = "help"
)

// Parsed is a question reduced to what the answerer needs.
type Parsed struct {
	Intent Intent
	// Who is a name, an email or a normalized case id ("OFF-0042").
	Who        string
	Department offboard.Department
	// Period is "week" or "month" for stats ("" otherwise).
	Period string
}

var (
	slackMentionRE = regexp.MustCompile(`<[@#!][^>]*>`)
	slackLinkRE    = regexp.MustCompile(`<(?:mailto:)?([^|>]+)(?:\|[^>]*)?>`)
	caseIDRE       = regexp.MustCompile(`^(?:off-?|#)(\d{1,9})$`)
	digitsRE       = regexp.MustCompile(`^\d{1,9}$`)
)

// contractions are expanded before apostrophes are dropped; any other
// "'s" is a possessive and goes.
var contractions = map[string]string{
	"what's": "what is", "where's": "where is", "how's": "how is", "who's": "who is",
	"that's": "that is", "it's": "it is", "hasn't": "has not", "haven't": "have not",
	"isn't": "is not", "aren't": "are not", "didn't": "did not", "don't": "do not",
	"doesn't": "does not", "what're": "what are", "who've": "who have", "let's": "let us",
}

// typos maps common misspellings (and contractions typed without the
// apostrophe) to what was meant. Near misses of keywords are corrected
// by fuzzy matching too; these are the ones that need help.
var typos = map[string]string{
	"whats": "what is", "wheres": "where is", "hows": "how is", "whos": "who is",
	"hasnt": "has not", "havent": "have not", "isnt": "is not", "didnt": "did not", "dont": "do not",
	"statsu": "status", "stauts": "status", "satus": "status", "staus": "status", "stat": "stats",
	"offbaording": "offboarding", "ofboarding": "offboarding", "offboading": "offboarding",
	"offbording": "offboarding", "offboardings": "offboarding", "off-boarding": "offboarding",
	"aprovals": "approvals", "aproval": "approval", "approvels": "approvals", "apporvals": "approvals",
	"aproved": "approved", "approvers": "approver",
	"overdure": "overdue", "ovredue": "overdue", "over-due": "overdue",
	"remianing": "remaining", "remainig": "remaining", "blockign": "blocking",
	"tasks": "task", "cases": "case", "u": "you", "r": "are", "pls": "please", "plz": "please",
	"wk": "week", "mo": "month", "mnth": "month", "weeks": "week", "months": "month",
}

// vocabulary is what fuzzy matching corrects towards: the keywords, at
// least five letters long so that names are rarely "corrected".
var vocabulary = []string{
	"status", "offboarding", "approvals", "approval", "approved", "approve", "approver",
	"overdue", "remaining", "blocking", "blocked", "security", "finance", "pending",
	"revocation", "revoke", "revoked", "statistics", "leaving", "progress", "waiting",
	"outstanding", "stats", "going", "where", "which", "month", "week", "left",
}

// departmentWords name a department; "it" is handled apart, being a
// common English word.
var departmentWords = map[string]offboard.Department{
	"finance": offboard.DeptFinance, "accounting": offboard.DeptFinance, "accounts": offboard.DeptFinance,
	"payroll": offboard.DeptFinance, "fin": offboard.DeptFinance,
	"security": offboard.DeptSecurity, "infosec": offboard.DeptSecurity, "secops": offboard.DeptSecurity, "sec": offboard.DeptSecurity,
	"hr": offboard.DeptHR, "people": offboard.DeptHR,
	"helpdesk": offboard.DeptIT, "i.t": offboard.DeptIT,
	"counsel": offboard.DeptLegal, "lawyers": offboard.DeptLegal,
}

// stopwords never form part of a name.
var stopwords = set(`a an the of on for in at to from by with about is are was were be been being am
do does did done has have had not no yes what whats where which who whom whose how when why
me my our we us you your i it its they them their this that these those there here
status statistics stats offboarding offboard case task job jobs item items thing things
going doing coming progress update updates news look looking like
left remaining blocking blocked block blocker blockers todo stuck holding hold up still
open opened list show tell give get all any every current currently ongoing active
leaving departures departure people person employee employees someone anyone everyone
overdue late behind past due slow waiting pending outstanding missing unfinished
approval approvals approve approved approver approvers decided decision sign signed off
stats metrics numbers kpi kpis ttr fast quick quickly speed average median long
revoke revoked revocation revoking access time week month year last this past
help please thanks thank hi hello hey can could would should will shall
anything something everything nothing anyone yet now right finish finished complete completed
cut off removed disabled suspended deactivated next many p50 p90 p95 p99 percentile
and or but so just then also too very much many some more most
department departments team teams dept whats wheres hows whos`)

func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// normalize lowercases text, drops Slack markup, expands contractions,
// strips possessives and punctuation, and corrects typos. It returns the
// words and, for each, whether the original was written "IT".
func normalize(text string) (words []string, upperIT []bool) {
	text = slackMentionRE.ReplaceAllString(text, " ")
	text = slackLinkRE.ReplaceAllString(text, "$1")
	text = strings.NewReplacer("\u2019", "'", "\u2018", "'", "`", "'").Replace(text)
	for _, raw := range strings.Fields(text) {
		orig := strings.Trim(raw, "?!.,;:()[]{}\"*_~")
		w := strings.ToLower(orig)
		if exp, ok := contractions[w]; ok {
			for _, e := range strings.Fields(exp) {
				words, upperIT = append(words, e), append(upperIT, false)
			}
			continue
		}
		w = strings.TrimSuffix(w, "'s")
		w = strings.TrimSuffix(w, "'")
		w = strings.ReplaceAll(w, "'", "")
		// Split on punctuation other than what emails and ids use.
		parts := strings.FieldsFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '@' || r == '.' || r == '-' || r == '_' || r == '+' || r == '#' || r > 127)
		})
		for _, p := range parts {
			p = strings.Trim(p, ".-_")
			if p == "" {
				continue
			}
			if fix, ok := typos[p]; ok {
				for _, e := range strings.Fields(fix) {
					words, upperIT = append(words, e), append(upperIT, false)
				}
				continue
			}
			words, upperIT = append(words, fuzzy(p)), append(upperIT, orig == "IT" || orig == "I.T.")
		}
	}
	return words, upperIT
}

// fuzzy corrects a word one edit away from a keyword.
func fuzzy(w string) string {
	if len(w) < 5 || stopwords[w] || strings.ContainsAny(w, "@.0123456789") || slices.Contains(vocabulary, w) {
		return w
	}
	for _, v := range vocabulary {
		if len(v) >= 5 && osa1(w, v) {
			return v
		}
	}
	// "offbaordings": a plural of a near miss.
	if s := strings.TrimSuffix(w, "s"); s != w && len(s) >= 5 {
		for _, v := range vocabulary {
			if len(v) >= 8 && osa1(s, v) {
				return v
			}
		}
	}
	return w
}

// osa1 reports whether a and b are at most one edit apart (insertion,
// deletion, substitution or transposition of neighbours).
func osa1(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && a[i] == b[i] {
		i++
	}
	switch {
	case la == lb:
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case la > lb:
		return a[i+1:] == b[i:]
	default:
		return a[i:] == b[i+1:]
	}
}

func hasAny(ws map[string]bool, keys ...string) bool {
	for _, k := range keys {
		if ws[k] {
			return true
		}
	}
	return false
}

func hasPhrase(words []string, phrase ...string) bool {
	for i := 0; i+len(phrase) <= len(words); i++ {
		if slices.Equal(words[i:i+len(phrase)], phrase) {
			return true
		}
	}
	return false
}

// Parse reduces a question to an intent and its subject, knowing the
// standard departments. An empty Intent means it was not understood.
func Parse(text string) Parsed { return parse(text, nil) }

// configuredDepartment finds the department a word names by its key or
// its one-word label ("legal", "facilities"); "it" is handled apart.
func configuredDepartment(w string, depts offboard.Departments) (offboard.Department, bool) {
	if w == "it" {
		return "", false
	}
	for _, d := range depts.Names() {
		if w == string(d) || w == strings.ToLower(depts.Label(d)) {
			return d, true
		}
	}
	return "", false
}

// parse is Parse for the configured departments.
func parse(text string, depts offboard.Departments) Parsed {
	words, upperIT := normalize(text)
	ws := map[string]bool{}
	for _, w := range words {
		ws[w] = true
	}
	var p Parsed

	// Subject: a case id or an email wins; otherwise the words left over.
	var name []string
	firstName := -1 // index of the first name word
	for i, w := range words {
		switch {
		case looksLikeEmail(w):
			if p.Who == "" || !isCaseID(p.Who) {
				p.Who = w
			}
			continue
		case caseIDRE.MatchString(w):
			p.Who = caseID(caseIDRE.FindStringSubmatch(w)[1])
			continue
		case digitsRE.MatchString(w) && i > 0 && (words[i-1] == "case" || words[i-1] == "off" || words[i-1] == "#"):
			p.Who = caseID(w)
			continue
		}
		// A configured department's own name wins over a synonym: a
		// company with a payroll department means it by "payroll".
		d, ok := configuredDepartment(w, depts)
		if !ok {
			d, ok = departmentWords[w]
		}
		if ok {
			if p.Department == "" {
				p.Department = d
			}
			continue
		}
		if w == "it" && (upperIT[i] || i > 0 && (words[i-1] == "for" || words[i-1] == "in" || words[i-1] == "from")) {
			if p.Department == "" {
				p.Department = offboard.DeptIT
			}
			continue
		}
		if w == "human" && i+1 < len(words) && words[i+1] == "resources" {
			p.Department = offboard.DeptHR
			continue
		}
		if w == "resources" || stopwords[w] || digitsRE.MatchString(w) {
			continue
		}
		if firstName < 0 {
			firstName = i
		}
		name = append(name, w)
	}
	if p.Who == "" && len(name) > 0 && len(name) <= 3 {
		p.Who = strings.Join(name, " ")
	}
	tooManyWords := len(name) > 3

	statusCue := hasAny(ws, "status", "where", "how", "progress", "update", "updates", "news",
		"offboarding", "case", "going", "doing", "access", "finish", "finished", "complete", "completed")
	// Weak cues ("what about Alex", "tell me about Jane Doe") count only
	// before a short name.
	for i, w := range words {
		switch w {
		case "about", "tell", "show", "check", "look", "looking":
			if len(name) > 0 && len(name) <= 2 && i < firstName {
				statusCue = true
			}
		}
	}
	leftCue := hasAny(ws, "left", "next", "remaining", "blocking", "blocked", "block", "blocker", "blockers", "todo",
		"outstanding", "missing", "unfinished", "holding") || hasPhrase(words, "to", "do") || hasPhrase(words, "still", "open")
	overdueCue := hasAny(ws, "overdue", "late", "behind", "stuck", "slow") || hasPhrase(words, "past", "due")
	approvalCue := hasAny(ws, "approval", "approvals", "approve", "approved", "approver", "approvers") ||
		hasPhrase(words, "sign", "off") || hasPhrase(words, "signed", "off")
	statsCue := hasAny(ws, "stats", "statistics", "metrics", "kpi", "kpis", "ttr", "fast", "quickly", "quick",
		"speed", "average", "median", "numbers", "p50", "p90", "p95", "p99", "percentile") ||
		hasPhrase(words, "time", "to", "revocation") || hasPhrase(words, "revocation", "time") || hasPhrase(words, "how", "many") ||
		hasPhrase(words, "how", "long", "did") || hasPhrase(words, "how", "long", "does")
	openCue := hasAny(ws, "open", "leaving", "departures", "ongoing", "active", "current", "currently", "now", "list") ||
		hasPhrase(words, "in", "progress")
	helpCue := ws["help"] || hasPhrase(words, "what", "can", "you", "do") || ws["commands"]

	switch {
	case helpCue && p.Who == "" && !statsCue && !approvalCue:
		p.Intent = IntentHelp
	case statsCue:
		p.Intent, p.Who, p.Department = IntentStats, "", ""
		p.Period = "month"
		if ws["week"] {
			p.Period = "week"
		}
	case approvalCue:
		p.Intent = IntentApprovals
		if !isCaseID(p.Who) && !looksLikeEmail(p.Who) && !statusCue {
			p.Who = "" // "who hasn't approved yet"
		}
	case p.Department != "" && (overdueCue || leftCue || openCue || ws["task"] || ws["pending"] || ws["waiting"]) && !isCaseID(p.Who) && !looksLikeEmail(p.Who):
		p.Intent, p.Who = IntentOverdue, ""
	case p.Who != "" && leftCue:
		p.Intent = IntentLeft
	case p.Who == "" && overdueCue:
		p.Intent = IntentOverdue
	case p.Who == "" && (openCue || ws["case"] && !tooManyWords):
		p.Intent = IntentOpenCases
	case p.Who != "" && (statusCue || isCaseID(p.Who) || looksLikeEmail(p.Who) || openCue):
		p.Intent = IntentStatus
	case p.Who == "" && leftCue:
		p.Intent = IntentOverdue
	case p.Department != "" && !tooManyWords:
		p.Intent = IntentOverdue
	default:
		return Parsed{}
	}
	if p.Intent != IntentOverdue && p.Intent != IntentApprovals {
		p.Department = ""
	}
	return p
}

func caseID(digits string) string {
	id, ok := offboard.ParseCaseID(digits)
	if !ok {
		return ""
	}
	return string(id)
}

func isCaseID(s string) bool { return strings.HasPrefix(s, offboard.CaseIDPrefix) }

func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Contains(s[at:], ".")
}
