package slack

import (
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// Slack Block Kit limits the renderer respects.
const (
	MaxBlocks          = 50    // blocks per message
	maxHeaderText      = 150   // header block text
	maxSectionText     = 3000  // section block text
	maxFieldText       = 2000  // one section field
	maxSectionFields   = 10    // fields per section block
	maxContextElements = 10    // elements per context block
	maxActionElements  = 25    // elements per actions block
	maxButtonText      = 75    // button label
	maxButtonValue     = 2000  // button value
	maxConfirmTitle    = 100   // confirmation dialog title
	maxConfirmText     = 300   // confirmation dialog text
	maxConfirmButton   = 30    // confirmation dialog confirm/deny
	maxMessageText     = 40000 // chat.postMessage text
	maxModalTitle      = 24    // modal title, submit and close
	maxInputLabel      = 2000  // input block label and hint
	maxPlaceholder     = 150   // placeholders
	maxOptionText      = 75    // select option text
	maxOptionValue     = 150   // select option value
	maxOptions         = 100   // options per static select
	maxPrivateMetadata = 3000  // modal private_metadata
)

// MoreText ends a message cut at MaxBlocks.
const MoreText = "… more in the case channel"

// ActionIDPrefix starts the action_id of every offboard button:
// "ofb:<verb>", with ":<n>" appended when a verb repeats in one block.
const ActionIDPrefix = "ofb:"

// Escape makes user-provided text safe for mrkdwn: Slack reads "&", "<"
// and ">" as control characters (links, <!channel>, <@U123> mentions).
func Escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// truncate cuts s to at most n characters (runes), ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// escapeTrunc escapes s and cuts it to at most n characters without
// splitting an entity such as "&amp;".
func escapeTrunc(s string, n int) string {
	e := Escape(s)
	if utf8.RuneCountInString(e) <= n {
		return e
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		piece := Escape(string(r))
		w := utf8.RuneCountInString(piece)
		if used+w > n-1 { // keep one for the "…"
			break
		}
		b.WriteString(piece)
		used += w
	}
	return b.String() + "…"
}

func plain(s string, n int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(s, n), true, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// toneEmoji is shown before a title so the tone reads at a glance.
func toneEmoji(t offboard.Tone) string {
	switch t {
	case offboard.ToneGood:
		return "✅ "
	case offboard.ToneDanger:
		return "🔴 "
	case offboard.ToneWarning:
		return "🟡 "
	default:
		return ""
	}
}

// RenderCard renders one card as Block Kit: a header (tone emoji and
// title), a context line (subtitle), the fields, each section (bold
// heading, text, fields, buttons), the card's buttons and a context line
// (footer). User text is escaped; Slack's limits are respected, and a card
// over MaxBlocks is cut with a final context block saying so.
func RenderCard(c offboard.Card) []slack.Block {
	return limitBlocks(renderCard(c))
}

func renderCard(c offboard.Card) []slack.Block {
	var blocks []slack.Block
	if title := strings.TrimSpace(c.Title); title != "" {
		blocks = append(blocks, slack.NewHeaderBlock(plain(toneEmoji(c.Tone)+title, maxHeaderText)))
	} else if e := toneEmoji(c.Tone); e != "" && c.Subtitle == "" {
		// A tone with nothing to hang it on still shows.
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(strings.TrimSpace(e))))
	}
	if c.Subtitle != "" {
		sub := c.Subtitle
		if c.Title == "" {
			sub = toneEmoji(c.Tone) + sub
		}
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(escapeTrunc(sub, maxSectionText))))
	}
	blocks = append(blocks, fieldSections(nil, c.Fields)...)
	for _, s := range c.Sections {
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, renderSection(s)...)
	}
	blocks = append(blocks, actionBlocks(c.Actions)...)
	if c.Footer != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(escapeTrunc(c.Footer, maxSectionText))))
	}
	return blocks
}

func renderSection(s offboard.Section) []slack.Block {
	var text string
	if s.Heading != "" {
		text = "*" + escapeTrunc(toneEmoji(s.Tone)+s.Heading, maxHeaderText) + "*"
	} else if e := toneEmoji(s.Tone); e != "" {
		text = strings.TrimSpace(e)
	}
	if s.Text != "" {
		if text != "" {
			text += "\n"
		}
		text += escapeTrunc(s.Text, maxSectionText-utf8.RuneCountInString(text))
	}
	var head *slack.TextBlockObject
	if text != "" {
		head = mrkdwn(text)
	}
	var fields []offboard.Field
	var details string
	for _, f := range s.Fields {
		if f.Label == offboard.FieldDetails {
			details = f.Value // small print under the fields
			continue
		}
		fields = append(fields, f)
	}
	blocks := fieldSections(head, fields)
	if details != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(escapeTrunc(details, maxSectionText))))
	}
	return append(blocks, actionBlocks(s.Actions)...)
}

// fieldSections renders fields as section blocks of at most ten fields;
// the first carries head (which may be nil).
func fieldSections(head *slack.TextBlockObject, fields []offboard.Field) []slack.Block {
	var blocks []slack.Block
	var objs []*slack.TextBlockObject
	for _, f := range fields {
		objs = append(objs, fieldText(f))
	}
	for first := true; first || len(objs) > 0; first = false {
		n := min(len(objs), maxSectionFields)
		chunk := objs[:n]
		objs = objs[n:]
		if head == nil && len(chunk) == 0 {
			break
		}
		if len(chunk) == 0 {
			chunk = nil
		}
		blocks = append(blocks, slack.NewSectionBlock(head, chunk, nil))
		head = nil
	}
	return blocks
}

func fieldText(f offboard.Field) *slack.TextBlockObject {
	label := escapeTrunc(f.Label, 200)
	value := f.Value
	if value == "" {
		value = "—"
	}
	var text string
	if label != "" {
		text = "*" + label + "*\n"
	}
	return mrkdwn(text + escapeTrunc(value, maxFieldText-utf8.RuneCountInString(text)))
}

// actionBlocks renders buttons as actions blocks of at most 25 elements.
func actionBlocks(buttons []offboard.Button) []slack.Block {
	var blocks []slack.Block
	for len(buttons) > 0 {
		n := min(len(buttons), maxActionElements)
		seen := map[string]int{}
		elems := make([]slack.BlockElement, 0, n)
		for _, b := range buttons[:n] {
			elems = append(elems, renderButton(b, seen))
		}
		blocks = append(blocks, slack.NewActionBlock("", elems...))
		buttons = buttons[n:]
	}
	return blocks
}

// ActionID is the action_id of a button with verb; seen counts the verbs
// already used in the same actions block.
func actionID(verb string, seen map[string]int) string {
	id := ActionIDPrefix + verb
	seen[verb]++
	if n := seen[verb]; n > 1 {
		id = fmt.Sprintf("%s:%d", id, n)
	}
	return id
}

func renderButton(b offboard.Button, seen map[string]int) *slack.ButtonBlockElement {
	label := b.Label
	if label == "" {
		label = b.Action.Verb
	}
	btn := slack.NewButtonBlockElement(actionID(b.Action.Verb, seen), truncate(b.Action.Encode(), maxButtonValue), plain(label, maxButtonText))
	switch b.Style {
	case "primary":
		btn = btn.WithStyle(slack.StylePrimary)
	case "danger":
		btn = btn.WithStyle(slack.StyleDanger)
	}
	if b.Confirm != "" {
		confirm := slack.NewConfirmationBlockObject(
			plain("Are you sure?", maxConfirmTitle),
			plain(b.Confirm, maxConfirmText),
			plain(label, maxConfirmButton),
			plain("Cancel", maxConfirmButton),
		)
		if b.Style == "danger" {
			confirm = confirm.WithStyle(slack.StyleDanger)
		}
		btn = btn.WithConfirm(confirm)
	}
	return btn
}

// limitBlocks keeps at most MaxBlocks, the last being a context block
// saying more is elsewhere.
func limitBlocks(blocks []slack.Block) []slack.Block {
	if len(blocks) <= MaxBlocks {
		return blocks
	}
	out := blocks[: MaxBlocks-1 : MaxBlocks-1]
	return append(out, slack.NewContextBlock("", mrkdwn(MoreText)))
}

// RenderReply renders a reply for chat.postMessage/chat.postEphemeral.
// text is the escaped mrkdwn answer and notification fallback: send it
// with slack.MsgOptionText(text, false). blocks is nil when the reply has
// no cards; otherwise it holds the text as a section, then each card,
// within MaxBlocks. The reply's Form is not rendered here (see RenderForm).
func RenderReply(r offboard.Reply) (text string, blocks []slack.Block) {
	raw := r.Text
	if raw == "" {
		for _, c := range r.Cards {
			if c.Title != "" {
				raw = c.Title
				break
			}
		}
	}
	text = escapeTrunc(raw, maxMessageText)
	if len(r.Cards) == 0 {
		return text, nil
	}
	if r.Text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(escapeTrunc(r.Text, maxSectionText)), nil, nil))
	}
	for i, c := range r.Cards {
		if i > 0 || len(blocks) > 0 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		blocks = append(blocks, renderCard(c)...)
	}
	return text, limitBlocks(blocks)
}

// RenderForm renders a form as a modal. CallbackID is the form's ID and
// PrivateMetadata its State; each input is an input block whose block_id
// and action_id are the input's ID, so FormValues and FieldErrorsResponse
// map back by ID.
func RenderForm(f *offboard.Form) slack.ModalViewRequest {
	title := f.Title
	if title == "" {
		title = "offboard"
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(title, maxModalTitle),
		Close:           plain("Cancel", maxModalTitle),
		CallbackID:      f.ID,
		PrivateMetadata: f.State,
	}
	if len(f.State) > maxPrivateMetadata {
		// Slack rejects the whole view; State carries ids, so this is a bug
		// upstream, but a cut state fails visibly at submission instead.
		v.PrivateMetadata = f.State[:maxPrivateMetadata]
	}
	if len(f.Inputs) > 0 {
		submit := f.Submit
		if submit == "" {
			submit = "Submit"
		}
		v.Submit = plain(submit, maxModalTitle)
	}
	blocks := make([]slack.Block, 0, len(f.Inputs))
	for _, in := range f.Inputs {
		blocks = append(blocks, renderInput(in))
	}
	v.Blocks = slack.Blocks{BlockSet: blocks}
	return v
}

func renderInput(in offboard.Input) *slack.InputBlock {
	var placeholder *slack.TextBlockObject
	if in.Placeholder != "" {
		placeholder = plain(in.Placeholder, maxPlaceholder)
	}
	var el slack.BlockElement
	switch in.Kind {
	case offboard.InputDate:
		e := slack.NewDatePickerBlockElement(in.ID)
		e.Placeholder = placeholder
		e.InitialDate = in.Initial
		el = e
	case offboard.InputTime:
		e := slack.NewTimePickerBlockElement(in.ID)
		e.Placeholder = placeholder
		e.InitialTime = in.Initial
		el = e
	case offboard.InputSelect:
		var opts []*slack.OptionBlockObject
		var initial *slack.OptionBlockObject
		for _, o := range in.Options[:min(len(in.Options), maxOptions)] {
			label := o.Label
			if label == "" {
				label = o.Value
			}
			opt := slack.NewOptionBlockObject(truncate(o.Value, maxOptionValue), plain(label, maxOptionText), nil)
			if in.Initial != "" && o.Value == in.Initial {
				initial = opt
			}
			opts = append(opts, opt)
		}
		e := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, placeholder, in.ID, opts...)
		if initial != nil {
			e = e.WithInitialOption(initial)
		}
		el = e
	case offboard.InputUser:
		// A person picker offers offboard's directory (Okta, Entra ID,
		// the HRIS…), not Slack's members: the leaver may have no Slack
		// account. Slack asks for the options as one types
		// (block_suggestion, answered by suggest).
		e := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, placeholder, in.ID)
		minQuery := pickerMinQuery
		e.MinQueryLength = &minQuery
		if in.Initial != "" {
			e = e.WithInitialOption(slack.NewOptionBlockObject(truncate(in.Initial, maxOptionValue), plain(in.Initial, maxOptionText), nil))
		}
		el = e
	default: // text, email, textarea and anything unknown
		e := slack.NewPlainTextInputBlockElement(placeholder, in.ID)
		if in.Kind == offboard.InputTextarea {
			e = e.WithMultiline(true)
		}
		if in.Initial != "" {
			e = e.WithInitialValue(in.Initial)
		}
		el = e
	}
	label := in.Label
	if label == "" {
		label = in.ID
	}
	var hint *slack.TextBlockObject
	if in.Hint != "" {
		hint = plain(in.Hint, maxInputLabel)
	}
	return slack.NewInputBlock(in.ID, plain(label, maxInputLabel), hint, el).WithOptional(!in.Required)
}

// FormValues reads a modal submission back: input ID → value. Dates are
// "YYYY-MM-DD", times "HH:MM", a user picker gives the user id and a
// select or a person picker the chosen option's value (the email). Inputs left empty are absent.
func FormValues(state *slack.ViewState) map[string]string {
	out := map[string]string{}
	if state == nil {
		return out
	}
	for blockID, actions := range state.Values {
		for actionID, a := range actions {
			v := actionValue(a)
			if v == "" {
				continue
			}
			key := blockID
			if key == "" {
				key = actionID
			}
			out[key] = v
		}
	}
	return out
}

func actionValue(a slack.BlockAction) string {
	switch string(a.Type) {
	case string(slack.METDatepicker):
		return a.SelectedDate
	case string(slack.METTimepicker):
		return a.SelectedTime
	case string(slack.OptTypeUser):
		return a.SelectedUser
	case string(slack.OptTypeStatic), string(slack.OptTypeExternal):
		return a.SelectedOption.Value
	case string(slack.METPlainTextInput), string(slack.METEmailTextInput):
		return a.Value
	}
	// Type unknown or missing: the one field that is set.
	for _, v := range []string{a.Value, a.SelectedDate, a.SelectedTime, a.SelectedUser, a.SelectedOption.Value} {
		if v != "" {
			return v
		}
	}
	return ""
}

// FieldErrorsResponse is the ack payload that shows fe beside the modal's
// inputs (keys are input IDs, which are the input blocks' block_ids).
func FieldErrorsResponse(fe offboard.FieldErrors) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(maps.Clone(map[string]string(fe)))
}
