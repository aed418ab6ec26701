package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// maxSay bounds what one composer message may hold.
const maxSay = 2000

// say handles the composer: "/offboard …" is a command, anything else a
// question.
func (c *Console) say(w http.ResponseWriter, r *http.Request, sid string) {
	room := roomOf(r.PostFormValue("room"))
	who, p := c.actor(r)
	key := inboxKey(who, sid)
	text := strings.TrimSpace(r.PostFormValue("text"))
	back := backTo(string(room))
	if p == nil {
		c.private(key, room, "", c.chooseFirst())
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if text == "" {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if len(text) > maxSay {
		text = text[:maxSay]
	}
	var reply offboard.Reply
	cmd, isCmd := strings.CutPrefix(text, "/offboard")
	switch {
	case isCmd && (cmd == "" || cmd[0] == ' '):
		reply = c.o.Router.Command(r.Context(), who, strings.TrimSpace(cmd))
		// A case opened from the composer: go to its new room.
		if parsed := bot.ParseCommand(strings.TrimSpace(cmd)); parsed.Verb == bot.CmdOpen && !reply.Ephemeral && reply.Form == nil {
			if id := c.newestCase(r, who, parsed.Email); id != "" {
				// The case_opened notice says it was opened; the command
				// is what the room did not hear yet.
				c.addLine(id, line{Time: c.o.Clock.Now(), Author: displayName(who), Text: text})
				c.publish(id)
				http.Redirect(w, r, backTo(string(id)), http.StatusSeeOther)
				return
			}
		}
	case strings.HasPrefix(text, "/"):
		reply = offboard.Reply{Ephemeral: true, Text: "The console knows one command, /offboard. Try /offboard help."}
	default:
		reply = c.o.Router.Ask(r.Context(), who, text)
	}
	c.answer(key, room, who, text, reply)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func displayName(a offboard.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Email
}

// answer shows a reply: a form opens as a modal; a private answer goes to
// the person who acted only (key is their inbox); a public one joins the
// room's feed (its cards need no copy: the room draws them from the
// stored case).
func (c *Console) answer(key string, room offboard.CaseID, who offboard.Actor, said string, reply offboard.Reply) {
	if reply.Form != nil {
		c.withInbox(key, func(s *inbox) {
			s.form = &pendingForm{Room: room, Form: reply.Form, Values: map[string]string{}}
		})
		if reply.Text == "" {
			return
		}
	}
	if reply.Ephemeral || room == "" {
		r := reply
		r.Form = nil
		c.withInbox(key, func(s *inbox) {
			s.addFlash(flash{Time: c.o.Clock.Now(), Room: room, Said: said, Reply: r})
		})
		return
	}
	if said != "" {
		c.addLine(room, line{Time: c.o.Clock.Now(), Author: displayName(who), Text: said})
	}
	if reply.Text != "" {
		c.addLine(room, line{Time: c.o.Clock.Now(), Author: "offboard", Bot: true, Text: reply.Text, Tone: offboard.ToneInfo})
	}
	c.publish(room)
}

// private adds an exchange only the owner of the inbox key sees.
func (c *Console) private(key string, room offboard.CaseID, said, text string) {
	c.withInbox(key, func(s *inbox) {
		s.addFlash(flash{Time: c.o.Clock.Now(), Room: room, Said: said, Reply: offboard.Reply{Ephemeral: true, Text: text}})
	})
}

// newestCase finds the case just opened for email, as the person sees it.
func (c *Console) newestCase(r *http.Request, who offboard.Actor, email string) offboard.CaseID {
	views, err := c.o.Engine.FindCases(r.Context(), who, email)
	if err != nil || len(views) == 0 {
		return ""
	}
	return views[0].Case.ID
}

// click runs a card button: the same value a Slack button carries, so
// the engine decides exactly as it does there.
func (c *Console) click(w http.ResponseWriter, r *http.Request, sid string) {
	room := roomOf(r.PostFormValue("room"))
	back := backTo(string(room))
	who, p := c.actor(r)
	key := inboxKey(who, sid)
	if p == nil {
		c.private(key, room, "", c.chooseFirst())
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	value := r.PostFormValue("value")
	reply := c.o.Router.Click(r.Context(), who, value)
	// A case opened from a refusal's button (an email no directory
	// knew): go to its new room, as a case opened from the composer does.
	if ref, err := offboard.ParseActionRef(value); err == nil && ref.Verb == offboard.VerbOpen {
		if id := c.newestCase(r, who, strings.ToLower(strings.TrimSpace(ref.Open.Email))); id != "" && strings.HasPrefix(reply.Text, string(id)+" opened") {
			c.answer(key, id, who, "", reply)
			http.Redirect(w, r, backTo(string(id)), http.StatusSeeOther)
			return
		}
	}
	c.answer(key, room, who, "", reply)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// formFields are the posted fields that belong to the console, not the
// form being submitted.
var formFields = map[string]bool{"csrf": true, "form_id": true, "state": true, "room": true}

// submit sends a form. Field errors show the form again with the errors
// beside the fields and what was typed kept.
func (c *Console) submit(w http.ResponseWriter, r *http.Request, sid string) {
	room := roomOf(r.PostFormValue("room"))
	back := backTo(string(room))
	who, p := c.actor(r)
	key := inboxKey(who, sid)
	var pending *pendingForm
	c.withInbox(key, func(s *inbox) { pending = s.form })
	formID := r.PostFormValue("form_id")
	if p == nil || pending == nil || pending.Form.ID != formID {
		c.private(key, room, "", "That form is out of date; start again.")
		c.withInbox(key, func(s *inbox) { s.form = nil })
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	values := map[string]string{}
	for k, v := range r.PostForm {
		if !formFields[k] && len(v) > 0 {
			values[k] = v[0]
		}
	}
	// The state travels with the form held here, not from the browser:
	// it carries ids only, but there is no reason to trust a copy.
	reply, err := c.o.Router.Submit(r.Context(), who, formID, pending.Form.State, values)
	var fe offboard.FieldErrors
	if errors.As(err, &fe) {
		c.withInbox(key, func(s *inbox) {
			s.form = &pendingForm{Room: pending.Room, Form: pending.Form, Errors: fe, Values: values}
		})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	c.withInbox(key, func(s *inbox) { s.form = nil })
	if err != nil {
		reply = offboard.Reply{Ephemeral: true, Text: offboard.ErrorMessage(err)}
	}
	if formID == bot.FormOpenCase && !reply.Ephemeral {
		email := values["employee_email"]
		if email == "" {
			email = values["employee"]
		}
		if id := c.newestCase(r, who, strings.ToLower(strings.TrimSpace(email))); id != "" {
			// The case_opened notice announces it in the room.
			http.Redirect(w, r, backTo(string(id)), http.StatusSeeOther)
			return
		}
	}
	c.answer(key, room, who, "", reply)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// dismiss closes the open form, or clears the private answers.
func (c *Console) dismiss(w http.ResponseWriter, r *http.Request, sid string) {
	what := r.PostFormValue("what")
	who, _ := c.actor(r)
	c.withInbox(inboxKey(who, sid), func(s *inbox) {
		if what == "flash" {
			s.flash = nil
		} else {
			s.form = nil
		}
	})
	http.Redirect(w, r, backTo(r.PostFormValue("room")), http.StatusSeeOther)
}

func roomOf(s string) offboard.CaseID {
	if id, ok := offboard.ParseCaseID(s); ok {
		return id
	}
	return ""
}
