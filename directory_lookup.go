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
	// Sources are the labels of the sources read, most trusted first,
	// for messages like "no one … in <label>".
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
			p.Sources = append(p.Sources, d.sourceLabel(s))
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
	localAt := local + "@"
	var rows [3][]int
	consider := func(cand string) {
		dist := -1
		if abs(len(cand)-len(key)) <= limit {
			dist = editDistance(key, cand, limit, &rows)
		}
		if dist < 0 || dist > limit {
			// The same person at a mistyped or old domain
			// (jane.doe@exmaple.co, jane.doe@old-name.com).
			cd, same := strings.CutPrefix(cand, localAt)
			if !same || len(local) < 3 {
				return
			}
			dist = maxTypoDistance
			if dd := editDistance(domain, cd, maxTypoDistance, &rows); dd >= 0 && dd < dist {
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
// exceeds limit. Only the diagonal band of width 2·limit+1 is computed
// and rows is reused between calls: a refusal compares the typed email
// with everyone in the directory. It counts bytes, so a non-ASCII letter
// may count as two edits; emails are almost all ASCII.
func editDistance(a, b string, limit int, rows *[3][]int) int {
	n, m := len(a), len(b)
	if abs(n-m) > limit {
		return -1
	}
	if n == 0 || m == 0 {
		return max(n, m)
	}
	inf := limit + 1
	for k := range rows {
		if cap(rows[k]) < m+1 {
			rows[k] = make([]int, m+1)
		}
		rows[k] = rows[k][:m+1]
	}
	prev2, prev, cur := rows[0], rows[1], rows[2]
	for j := range prev {
		prev[j] = min(j, inf)
	}
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-limit), min(m, i+limit)
		// The cells just outside the band are read by this row and the
		// next: they hold "too far", or the first column's true value.
		if lo == 1 {
			cur[0] = min(i, inf)
		} else {
			cur[lo-1] = inf
		}
		if hi < m {
			cur[hi+1] = inf
		}
		rowMin := cur[lo-1]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, inf)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
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
	if prev[m] > limit {
		return -1
	}
	return prev[m]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// sourceLabel is how a message names a directory source. The caller
// holds d.mu.
func (d *Directory) sourceLabel(name string) string {
	if l := d.labels[name]; l != "" {
		return l
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
