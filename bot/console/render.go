package console

import (
	"strings"

	"github.com/offboard-dev/offboard"
)

// The neutral Card and Form, shaped for the HTML templates: each button
// carries the form fields its post needs (the encoded action, the room to
// return to, the CSRF token). html/template escapes every value.

type cardView struct {
	Title    string
	Subtitle string
	Tone     offboard.Tone
	Fields   []offboard.Field
	Sections []sectionView
	Actions  []buttonView
	Footer   string
}

type sectionView struct {
	Heading string
	Text    string
	Tone    offboard.Tone
	Status  string
	Fields  []offboard.Field
	Actions []buttonView
	// Evidence is what the connector read back, one "Label: value" a
	// line, folded away under its summary: it is long, and it is for
	// auditors.
	Evidence        []string
	EvidenceSummary string
	// EvidenceItems counts the lines: "1 item", "4 items".
	EvidenceItems string
	// Details are the vendor's request ids and the job: small print
	// inside the evidence, for whoever asks the vendor.
	Details []string
}

type buttonView struct {
	Label   string
	Value   string
	Style   string
	Confirm string
	CSRF    string
	Room    offboard.CaseID
}

func toButtons(bs []offboard.Button, csrf string, room offboard.CaseID) []buttonView {
	out := make([]buttonView, 0, len(bs))
	for _, b := range bs {
		out = append(out, buttonView{Label: b.Label, Value: b.Action.Encode(), Style: b.Style, Confirm: b.Confirm, CSRF: csrf, Room: room})
	}
	return out
}

func toCardView(card offboard.Card, csrf string, room offboard.CaseID) cardView {
	cv := cardView{Title: card.Title, Subtitle: card.Subtitle, Tone: toneOr(card.Tone), Fields: card.Fields,
		Actions: toButtons(card.Actions, csrf, room), Footer: card.Footer}
	for _, s := range card.Sections {
		sv := sectionView{Heading: s.Heading, Text: s.Text, Tone: toneOr(s.Tone), Actions: toButtons(s.Actions, csrf, room)}
		// The status becomes a badge beside the heading; the rest stay
		// label and value.
		for _, f := range s.Fields {
			if f.Label == "Status" && sv.Status == "" {
				sv.Status = f.Value
				continue
			}
			if f.Label == offboard.FieldEvidence && sv.Evidence == nil {
				sv.Evidence = strings.Split(f.Value, "\n")
				sv.EvidenceItems = offboard.Count(len(sv.Evidence), "item", "")
				for _, l := range sv.Evidence {
					if v, ok := strings.CutPrefix(l, offboard.EvidenceLabel("summary")+": "); ok {
						sv.EvidenceSummary = v
					}
				}
				continue
			}
			if f.Label == offboard.FieldDetails && sv.Details == nil {
				sv.Details = strings.Split(f.Value, "\n")
				continue
			}
			sv.Fields = append(sv.Fields, f)
		}
		cv.Sections = append(cv.Sections, sv)
	}
	return cv
}

func toneOr(t offboard.Tone) offboard.Tone {
	if t == "" {
		return offboard.ToneInfo
	}
	return t
}

type formView struct {
	ID     string
	Title  string
	Submit string
	Room   offboard.CaseID
	CSRF   string
	Inputs []inputView
	// Problem sums up the field errors for screen readers.
	Problem string
}

type inputView struct {
	ID          string
	Label       string
	Kind        string
	Placeholder string
	Hint        string
	Required    bool
	Value       string
	Error       string
	Options     []optionView
	// DescribedBy names the hint and error elements, for aria-describedby.
	DescribedBy string
	// Picker: a person field, which suggests people of the directory as
	// one types (static/people.js).
	Picker bool
}

type optionView struct {
	Value    string
	Label    string
	Selected bool
}

func toFormView(p *pendingForm, csrf string) *formView {
	f := p.Form
	fv := &formView{ID: f.ID, Title: f.Title, Submit: f.Submit, Room: p.Room, CSRF: csrf}
	if fv.Submit == "" {
		fv.Submit = "Send"
	}
	// A browser has no person picker: a picker input becomes an email
	// input, and the "…or their email" input beside it would repeat it.
	picker := map[string]bool{}
	for _, in := range f.Inputs {
		if in.Kind == offboard.InputUser {
			picker[in.ID] = true
		}
	}
	for _, in := range f.Inputs {
		if base, ok := strings.CutSuffix(in.ID, "_email"); ok && picker[base] && p.Errors[in.ID] == "" {
			continue
		}
		if in.Kind == offboard.InputUser {
			in.Hint = ""
			if in.Placeholder == "" {
				in.Placeholder = "Type a name or an email"
			}
		}
		iv := inputView{ID: in.ID, Label: in.Label, Kind: in.Kind, Placeholder: in.Placeholder, Hint: in.Hint,
			Required: in.Required, Value: in.Initial, Error: p.Errors[in.ID], Picker: in.Kind == offboard.InputUser}
		if v, ok := p.Values[in.ID]; ok {
			iv.Value = v
		}
		var ids []string
		if iv.Hint != "" {
			ids = append(ids, "h-"+iv.ID)
		}
		if iv.Error != "" {
			ids = append(ids, "e-"+iv.ID)
		}
		iv.DescribedBy = strings.Join(ids, " ")
		switch iv.Kind {
		case offboard.InputUser, offboard.InputEmail:
			iv.Kind = "email"
		case offboard.InputText, offboard.InputTextarea, offboard.InputDate, offboard.InputTime, offboard.InputSelect:
		default:
			iv.Kind = offboard.InputText
		}
		for _, o := range in.Options {
			iv.Options = append(iv.Options, optionView{Value: o.Value, Label: o.Label, Selected: o.Value == iv.Value})
		}
		fv.Inputs = append(fv.Inputs, iv)
	}
	if n := len(p.Errors); n > 0 {
		fv.Problem = "Please fix the marked fields."
		if n == 1 {
			fv.Problem = "Please fix the marked field."
		}
		// An error for an input the form does not have still must show.
		var stray []string
		for k, v := range p.Errors {
			found := false
			for _, in := range fv.Inputs {
				found = found || in.ID == k
			}
			if !found {
				stray = append(stray, v)
			}
		}
		if len(stray) > 0 {
			fv.Problem = strings.Join(stray, " ")
		}
	}
	return fv
}
