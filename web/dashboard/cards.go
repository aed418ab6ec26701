package dashboard

import (
	"strings"

	"github.com/offboard-dev/offboard"
)

// The case page shows the cards the console's room shows (Options.Cards
// draws them, so the words come from one place), read-only: no buttons.

type cardView struct {
	Title, Subtitle, Tone, Footer string
	Fields                        []offboard.Field
	Sections                      []sectionView
}

type sectionView struct {
	Heading, Text, Tone, Status string
	Fields                      []offboard.Field
	Evidence                    []evidenceLine
	// Details are the vendor's request ids: what support asks for, shown
	// small after the evidence.
	Details []evidenceLine
}

type evidenceLine struct{ Label, Value string }

// toCardViews turns cards into what the page draws. titles maps task
// keys to titles: a status that names the tasks it waits for by key
// ("Waiting for okta_suspend") names them by title here.
func toCardViews(cards []offboard.Card, titles map[string]string) []cardView {
	out := make([]cardView, 0, len(cards))
	for _, c := range cards {
		v := cardView{Title: c.Title, Subtitle: c.Subtitle, Tone: toneClass(c.Tone), Footer: c.Footer}
		for _, f := range c.Fields {
			if f.Label == offboard.FieldEvidence || f.Label == offboard.FieldDetails {
				continue // a header card has none; a task's is in its section
			}
			v.Fields = append(v.Fields, f)
		}
		for _, s := range c.Sections {
			sv := sectionView{Heading: s.Heading, Text: s.Text, Tone: toneClass(s.Tone)}
			for _, f := range s.Fields {
				switch f.Label {
				case "Status":
					sv.Status = taskKeysToTitles(f.Value, titles)
				case offboard.FieldEvidence:
					lines, details := evidenceLines(f.Value)
					sv.Evidence = append(sv.Evidence, lines...)
					sv.Details = append(sv.Details, details...)
				case offboard.FieldDetails:
					// Small print however it reads: the card put it apart.
					lines, details := evidenceLines(f.Value)
					sv.Details = append(sv.Details, append(lines, details...)...)
				default:
					sv.Fields = append(sv.Fields, f)
				}
			}
			v.Sections = append(v.Sections, sv)
		}
		out = append(out, v)
	}
	return out
}

func toneClass(t offboard.Tone) string {
	if t == "" {
		return string(offboard.ToneInfo)
	}
	return string(t)
}

// evidenceLines reads a card's evidence ("Label: value" a line; older
// cards "key: value") into labelled lines, the vendor's request ids apart.
func evidenceLines(text string) (lines, details []evidenceLine) {
	for l := range strings.SplitSeq(text, "\n") {
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, evidenceLine{Value: l})
			}
			continue
		}
		el := evidenceLine{Label: offboard.EvidenceLabel(k), Value: v}
		// The vendor's request id, the job and its attempt are for whoever
		// follows the case up with the vendor or in the logs.
		if offboard.IsRequestID(k) || k == "job" || k == "attempt" {
			details = append(details, el)
		} else {
			lines = append(lines, el)
		}
	}
	return lines, details
}

// taskKeysToTitles replaces the task keys in a list of them ("Waiting for
// a, b") by their titles.
func taskKeysToTitles(text string, titles map[string]string) string {
	head, list, ok := strings.Cut(text, "Waiting for ")
	if !ok {
		return text
	}
	keys := strings.Split(list, ", ")
	for i, k := range keys {
		if t, ok := titles[k]; ok {
			keys[i] = t
		}
	}
	return head + "Waiting for " + strings.Join(keys, ", ")
}
