package offboard

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Person is what a directory (an identity system, an HRIS) says about someone that
// cases and escalations need: their name, who they report to and where
// they work.
type Person struct {
	Email        string
	Name         string
	ManagerEmail string
	// TimeZone is an IANA name ("America/Los_Angeles"), or "".
	TimeZone string
}

// DirectorySource lists the people of one directory. It reads only.
type DirectorySource interface {
	People(ctx context.Context) ([]Person, error)
}

// Directory is an in-memory view of who reports to whom and who works in
// which time zone, merged from several sources. The engine reads it
// inside its transactions, so lookups never touch the network: the
// sources are read outside, on a schedule, and each source's last good
// list is kept when a later read fails.
//
// Sources are ranked by the order they were first set: an earlier
// source's non-empty field wins (the HRIS owns reporting lines when it is
// configured; the identity system fills what the HRIS leaves blank). It is safe for
// concurrent use.
type Directory struct {
	mu     sync.RWMutex
	order  []string
	lists  map[string][]Person
	at     map[string]time.Time
	people map[string]Person
	// managers are the emails sources name as someone's manager: people
	// too, even when no source lists them (an executive, a contractor's
	// agency lead).
	managers map[string]bool
	zoneMem  map[string]*time.Location
	// labels name sources for people; the wiring sets them from the
	// connectors' declarations.
	labels map[string]string
}

// NewDirectory returns an empty directory; rank names the sources from
// most to least trusted (sources not named rank after them, in the order
// first set).
func NewDirectory(rank ...string) *Directory {
	return &Directory{order: append([]string(nil), rank...), lists: map[string][]Person{},
		at: map[string]time.Time{}, people: map[string]Person{}, managers: map[string]bool{},
		zoneMem: map[string]*time.Location{}, labels: map[string]string{}}
}

// SetLabel sets how messages name a source ("no one … in <label>");
// without one they use the source's name.
func (d *Directory) SetLabel(source, label string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.labels[source] = label
}

// Set replaces what source says, read at at.
func (d *Directory) Set(source string, people []Person, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	known := false
	for _, s := range d.order {
		known = known || s == source
	}
	if !known {
		d.order = append(d.order, source)
	}
	d.lists[source] = people
	d.at[source] = at
	merged := map[string]Person{}
	managers := map[string]bool{}
	for i := len(d.order) - 1; i >= 0; i-- { // least trusted first, so better sources overwrite
		for _, p := range d.lists[d.order[i]] {
			key := normalEmail(p.Email)
			if key == "" {
				continue
			}
			cur := merged[key]
			cur.Email = key
			if m := normalEmail(p.ManagerEmail); m != "" && m != key {
				cur.ManagerEmail = m
				managers[m] = true
			}
			if z := strings.TrimSpace(p.TimeZone); z != "" {
				cur.TimeZone = z
			}
			if n := strings.TrimSpace(p.Name); n != "" {
				cur.Name = n
			}
			merged[key] = cur
		}
	}
	d.people, d.managers = merged, managers
}

// ManagerOf returns the email of email's manager, or "".
func (d *Directory) ManagerOf(email string) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.people[normalEmail(email)].ManagerEmail
}

// NameOf returns email's full name, or "".
func (d *Directory) NameOf(email string) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.people[normalEmail(email)].Name
}

// Location returns email's time zone, or nil when the directory has none
// (or names one this system does not know).
func (d *Directory) Location(email string) *time.Location {
	d.mu.RLock()
	name := d.people[normalEmail(email)].TimeZone
	loc, seen := d.zoneMem[name]
	d.mu.RUnlock()
	if name == "" {
		return nil
	}
	if seen {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	d.mu.Lock()
	d.zoneMem[name] = loc
	d.mu.Unlock()
	return loc
}

// SourceState is how fresh one source's list is.
type SourceState struct {
	Source string
	People int
	ReadAt time.Time
}

// Sources reports each source that has been read, most trusted first.
func (d *Directory) Sources() []SourceState {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []SourceState
	for _, s := range d.order {
		if at, ok := d.at[s]; ok {
			out = append(out, SourceState{Source: s, People: len(d.lists[s]), ReadAt: at})
		}
	}
	return out
}

// Len is how many people the merged view knows.
func (d *Directory) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.people)
}

func normalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
