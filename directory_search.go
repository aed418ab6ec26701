package offboard

import (
	"slices"
	"strings"
)

// MaxSearchResults bounds what one people search returns: a picker shows
// a short list (Teams shows at most 15), and a search must not become a
// way to list the whole directory.
const MaxSearchResults = 15

// minSearchLen is the fewest characters a search needs: one letter
// matches half the company.
const minSearchLen = 2

// Search finds people for a person picker: those whose email, or a word
// of whose name, starts with query (case-insensitive; every word typed
// must match, so "mona man" finds Mona Manager). At most limit (capped at
// MaxSearchResults), people whose name starts with it first, then by
// name and email, so the same directory always answers the same. A
// query shorter than two characters finds nobody. It reads memory only.
func (d *Directory) Search(query string, limit int) []Person {
	words := strings.Fields(strings.ToLower(query))
	if len(strings.Join(words, "")) < minSearchLen {
		return nil
	}
	if limit <= 0 || limit > MaxSearchResults {
		limit = MaxSearchResults
	}
	d.mu.RLock()
	type hit struct {
		p      Person
		strong bool
	}
	var hits []hit
	seen := map[string]bool{}
	for email, p := range d.people {
		seen[email] = true
		if ok, strong := matches(words, email, p.Name); ok {
			hits = append(hits, hit{Person{Email: email, Name: p.Name}, strong})
		}
	}
	// Managers no source lists are people too (an executive).
	for email := range d.managers {
		if seen[email] {
			continue
		}
		if ok, strong := matches(words, email, ""); ok {
			hits = append(hits, hit{Person{Email: email}, strong})
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(hits, func(a, b hit) int {
		if a.strong != b.strong {
			if a.strong {
				return -1
			}
			return 1
		}
		if c := strings.Compare(strings.ToLower(a.p.Name), strings.ToLower(b.p.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.p.Email, b.p.Email)
	})
	out := make([]Person, 0, min(limit, len(hits)))
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, h.p)
	}
	return out
}

// matches reports whether every word is the start of the email (or of
// its part before the @) or of a word of the name; strong when the first
// word starts the name or the email itself.
func matches(words []string, email, name string) (ok, strong bool) {
	nameWords := strings.Fields(strings.ToLower(name))
	local, _, _ := strings.Cut(email, "@")
	for _, w := range words {
		hit := strings.HasPrefix(email, w)
		for _, part := range strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' }) {
			hit = hit || strings.HasPrefix(part, w)
		}
		for _, nw := range nameWords {
			hit = hit || strings.HasPrefix(nw, w)
		}
		if !hit {
			return false, false
		}
	}
	first := words[0]
	strong = strings.HasPrefix(email, first) || len(nameWords) > 0 && strings.HasPrefix(nameWords[0], first)
	return true, strong
}
