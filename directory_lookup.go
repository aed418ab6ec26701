package offboard

import (
	"slices"
	"strings"
)

// Presence is what the directory says about one email: whether anyone
// with it is known and, when not, the closest email it does know. A
// typo in a departure notice otherwise opens a real case for nobody
// while the real person keeps their access.
type Presence struct {
	// Checked is false when no source has listed anyone yet (none is
	// configured, or none has been read): then nothing can be said.
	Checked bool
	// Known: a source lists the person, or names them as someone's
	// manager.
	Known bool
	// Sources are the labels of the sources read ("Okta", "BambooHR"),
	// most trusted first, for messages like "no one … in Okta".
	Sources []string
	// Nearest is the known email closest to the one asked about, when it
	// is close enough to be a typo of it; "" otherwise.
	Nearest string
}

// maxTypoDistance is the most edits (insert, delete, substitute, swap two
// neighbours) a suggestion may be away from what was typed. Three catch
// "exmaple", "jnae" and a dropped dot without suggesting strangers.
const maxTypoDistance = 3

// Lookup says whether email is known and, if not, what was probably
// meant. It reads memory only, so the engine may call it while it
// decides; the same directory contents always give the same answer.
func (d *Directory) Lookup(email string) Presence {
	key := normalEmail(email)
	d.mu.RLock()
	defer d.mu.RUnlock()
	var p Presence
	for _, s := range d.order {
		if len(d.lists[s]) > 0 {
			p.Sources = append(p.Sources, sourceLabel(s))
		}
	}
	if len(p.Sources) == 0 || len(d.people) == 0 {
		return Presence{}
	}
	p.Checked = true
	if _, ok := d.people[key]; ok || d.managers[key] {
		p.Known = true
		return p
	}
	p.Nearest = d.nearest(key)
	return p
}

// nearest returns the known email most like key, or "" when none is a
// plausible typo of it. Ties go to the alphabetically first, so the
// answer does not depend on map order.
func (d *Directory) nearest(key string) string {
	local, domain, ok := strings.Cut(key, "@")
	if !ok || local == "" || domain == "" {
		return ""
	}
	// A short name is a few edits from many others (bo@ and al@): the
	// bound grows with the part before the @, which tells people apart;
	// the shared domain does not.
	limit := min(maxTypoDistance, max(1, len(local)/3))
	best, bestDist := "", maxTypoDistance+1
	consider := func(cand string) {
		dist := -1
		if abs(len(cand)-len(key)) <= limit {
			dist = editDistance(key, cand, limit)
		}
		if dist < 0 || dist > limit {
			// The same person at a mistyped or old domain
			// (jane.doe@exmaple.co, jane.doe@old-name.com).
			cl, cd, _ := strings.Cut(cand, "@")
			if cl != local || len(local) < 3 {
				return
			}
			dist = maxTypoDistance
			if dd := editDistance(domain, cd, maxTypoDistance); dd >= 0 && dd < dist {
				dist = dd
			}
		}
		if dist < bestDist || (dist == bestDist && cand < best) {
			best, bestDist = cand, dist
		}
	}
	for cand := range d.people {
		consider(cand)
	}
	for cand := range d.managers {
		if _, dup := d.people[cand]; !dup {
			consider(cand)
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b
// (Levenshtein plus swapping two neighbouring characters), or -1 when it
// exceeds limit: most candidates are far off and are dropped early.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if abs(len(ra)-len(rb)) > limit {
		return -1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return -1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(rb)] > limit {
		return -1
	}
	return prev[len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// sourceLabel is how a message names a directory source.
func sourceLabel(name string) string {
	switch name {
	case "okta":
		return "Okta"
	case "bamboohr":
		return "BambooHR"
	case "slack":
		return "Slack"
	case "teams":
		return "Teams"
	}
	return name
}

// JoinOr lists words as "A", "A or B", "A, B or C".
func JoinOr(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(slices.Clone(words[:len(words)-1]), ", ") + " or " + words[len(words)-1]
}
