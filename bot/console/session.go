package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/sameorigin"
)

// Cookies. Both are HttpOnly and SameSite=Strict, scoped to /console.
const (
	sessionCookie = "offboard_console_session"
	actAsCookie   = "offboard_console_as"
)

// inbox is what the console keeps for one person between a post and the
// page it redirects to: answers only this person sees, and a form being
// filled in. It belongs to the person (the actor), never to the browser:
// a browser that acts as someone else next, or a shared screen, must not
// show one person's private answers to another.
type inbox struct {
	seen  time.Time
	flash []flash
	form  *pendingForm
}

// flash is a private exchange: what the person said and the answer.
type flash struct {
	Time  time.Time
	Room  offboard.CaseID
	Said  string
	Reply offboard.Reply
}

// pendingForm is a form (a modal) shown over the page until it is sent
// without errors or dismissed.
type pendingForm struct {
	Room   offboard.CaseID
	Form   *offboard.Form
	Errors offboard.FieldErrors
	Values map[string]string
}

// sessionID returns the browser's session id, giving it one when it has
// none (only on GET: a post without one fails its CSRF check).
func (c *Console) sessionID(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil && validID(ck.Value) {
		return ck.Value
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil})
	return id
}

func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// csrfKey derives the CSRF key from a secret the replicas share, or nil
// for none. The secret itself (the admin's password) never keys anything
// a page shows: a token reveals nothing of it.
func csrfKey(secret string) []byte {
	if secret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("offboard console csrf key v1"))
	return m.Sum(nil)
}

// csrfToken binds a form to the browser's session: a page of another
// site can neither read it nor guess it.
func (c *Console) csrfToken(sid string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(sid))
	return hex.EncodeToString(m.Sum(nil))
}

// post wraps a POST handler with the CSRF checks (same origin and the
// session's token) and a small body limit.
func (c *Console) post(h func(w http.ResponseWriter, r *http.Request, sid string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		received := time.Now() // ack latency is real time, not the injectable clock
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			c.fail(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		ck, err := r.Cookie(sessionCookie)
		if !sameorigin.Allowed(r, c.o.PublicURL) || err != nil || !validID(ck.Value) ||
			!hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(c.csrfToken(ck.Value))) {
			c.fail(w, r, http.StatusForbidden, "This page was out of date or came from elsewhere, so nothing was done. Go back, reload and try again.")
			return
		}
		h(w, r, ck.Value)
		if c.o.Metrics != nil {
			c.o.Metrics.ChatAck(PlatformName, time.Since(received))
		}
	}
}

// inboxKey names whose inbox an exchange goes to: the person acting, or —
// before anyone is chosen — the browser itself (then only hints such as
// "choose who you are" land there, never an answer about a case).
func inboxKey(who offboard.Actor, sid string) string {
	if who.Kind == "" {
		return "browser:" + sid
	}
	id := who.ID
	if id == "" {
		id = who.Email
	}
	return string(who.Kind) + ":" + strings.ToLower(id)
}

// withInbox runs fn on the inbox of key, creating it when missing.
func (c *Console) withInbox(key string, fn func(s *inbox)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.inboxes[key]
	if s == nil {
		if len(c.inboxes) >= maxInboxes {
			c.evictOldest()
		}
		s = &inbox{}
		c.inboxes[key] = s
	}
	s.seen = time.Now()
	fn(s)
}

// evictOldest drops the least recently seen inbox; c.mu is held.
func (c *Console) evictOldest() {
	var oldest string
	var at time.Time
	for id, s := range c.inboxes {
		if oldest == "" || s.seen.Before(at) {
			oldest, at = id, s.seen
		}
	}
	delete(c.inboxes, oldest)
}

// person is someone one may act as.
type person struct {
	Email string
	Name  string
	Roles []offboard.Role
	// Manages is set for managers of open cases who hold no role.
	Manages bool
}

// RoleLabel says what the person does, for the picker.
func (p person) RoleLabel() string {
	if len(p.Roles) == 0 {
		if p.Manages {
			return "Manager"
		}
		return "No role"
	}
	parts := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		parts[i] = roleLabel(r)
	}
	return strings.Join(parts, ", ")
}

func roleLabel(r offboard.Role) string {
	switch r {
	case offboard.RoleHR, offboard.RoleIT:
		return strings.ToUpper(string(r))
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// nameOf makes a display name from an email: "hana.hr@…" → "Hana Hr".
func nameOf(email string) string {
	local, _, _ := strings.Cut(email, "@")
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	if len(words) == 0 {
		return email
	}
	return strings.Join(words, " ")
}

// people lists who one may act as: everyone configured under roles, and
// the managers of open cases (so a manager can decide an approval).
func (c *Console) people(ctx context.Context) []person {
	byEmail := map[string]*person{}
	var order []string
	add := func(email string) *person {
		e := strings.ToLower(strings.TrimSpace(email))
		if e == "" {
			return nil
		}
		if p := byEmail[e]; p != nil {
			return p
		}
		p := &person{Email: e, Name: nameOf(e)}
		byEmail[e] = p
		order = append(order, e)
		return p
	}
	// The built-in roles first, then departments' own roles (facilities…).
	roles := offboard.ConfigurableRoles()
	for _, r := range slices.Sorted(maps.Keys(c.o.People)) {
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	for _, r := range roles {
		for _, e := range c.o.People[r] {
			if p := add(e); p != nil && !slices.Contains(p.Roles, r) {
				p.Roles = append(p.Roles, r)
			}
		}
	}
	views, err := c.o.Engine.ListCases(ctx, offboard.System(PlatformName), offboard.CaseOpen, roomLimit)
	if err != nil {
		c.o.Logger.WarnContext(ctx, "console: listing managers failed", "err", err)
	}
	for _, v := range views {
		if p := add(v.Case.Employee.ManagerEmail); p != nil && len(p.Roles) == 0 {
			p.Manages = true
		}
	}
	out := make([]person, 0, len(order))
	for _, e := range order {
		out = append(out, *byEmail[e])
	}
	return out
}

// actor returns who is acting: the signed-in person when Options.Identify
// is set, otherwise (demo mode) the person this browser acts as.
func (c *Console) actor(r *http.Request) (offboard.Actor, *person) {
	if c.o.Identify != nil {
		return c.signedIn(r)
	}
	return c.actingAs(r, c.people(r.Context()))
}

// signedIn is the person Options.Identify vouches for. Their roles come
// with them for the page; the engine resolves them again for every
// command and read.
func (c *Console) signedIn(r *http.Request) (offboard.Actor, *person) {
	a, ok := c.o.Identify(r)
	if !ok || a.Kind == "" || a.ID == "" {
		return offboard.Actor{}, nil
	}
	a.Platform = PlatformName
	p := &person{Email: a.Email, Name: a.Name, Roles: slices.Clone(a.Roles)}
	if p.Name == "" {
		p.Name = nameOf(a.Email)
	}
	if p.Name == "" {
		p.Name = a.ID
	}
	return a, p
}

// actingAs returns who the browser acts as: the person in the cookie, if
// they are still someone one may act as.
func (c *Console) actingAs(r *http.Request, people []person) (offboard.Actor, *person) {
	ck, err := r.Cookie(actAsCookie)
	if err != nil {
		return offboard.Actor{}, nil
	}
	email, _ := url.QueryUnescape(ck.Value)
	for i := range people {
		if people[i].Email == strings.ToLower(email) {
			p := &people[i]
			// Roles are not set here: the engine resolves them from
			// config for every command.
			return offboard.Actor{Kind: offboard.ActorPerson, ID: p.Email, Email: p.Email, Name: p.Name,
				Platform: PlatformName, PlatformUserID: p.Email}, p
		}
	}
	return offboard.Actor{}, nil
}

// chooseFirst is the hint for someone who is nobody yet.
func (c *Console) chooseFirst() string {
	if c.o.Identify != nil {
		return "Sign in first."
	}
	return "Choose who you are acting as first (“Acting as”, in the top bar)."
}

// actAs sets who the browser acts as.
func (c *Console) actAs(w http.ResponseWriter, r *http.Request, sid string) {
	if c.o.Identify != nil {
		// Signed-in people are who they are: "acting as" is a demo device.
		c.fail(w, r, http.StatusForbidden, "Outside demo mode you act as yourself; sign in as the person you are.")
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("as")))
	ok := false
	for _, p := range c.people(r.Context()) {
		if p.Email == email {
			ok = true
		}
	}
	back := backTo(r.PostFormValue("room"))
	if !ok {
		c.private(inboxKey(offboard.Actor{}, sid), "", "", "Pick someone from the list.")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	// The person's own answers and open form stay with them; the page
	// shows the new person's.
	http.SetCookie(w, &http.Cookie{Name: actAsCookie, Value: url.QueryEscape(email), Path: "/console", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 30 * 24 * 3600, Secure: r.TLS != nil})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *inbox) addFlash(f flash) {
	s.flash = append(s.flash, f)
	if len(s.flash) > maxFlash {
		s.flash = s.flash[len(s.flash)-maxFlash:]
	}
}

// backTo is the page to return to after a post: the room it came from,
// or the console's home.
func backTo(room string) string {
	if id, ok := offboard.ParseCaseID(room); ok {
		return "/console/rooms/" + string(id)
	}
	return "/console"
}
