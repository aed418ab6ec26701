package signin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/offboard-dev/offboard"
)

// providerFor discovers the provider once; a failure is retried at the
// next sign-in.
func (a *Auth) providerFor(ctx context.Context) (*oidc.Provider, error) {
	a.providerMu.Lock()
	defer a.providerMu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, a.o.HTTPClient), a.o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("signin: discovery at %s: %w", a.o.Issuer, err)
	}
	a.provider = p
	return p, nil
}

func (a *Auth) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: a.o.ClientID, ClientSecret: a.o.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: a.o.RedirectURL, Scopes: a.o.Scopes}
}

// start sends the browser to the provider with a fresh state, nonce and
// PKCE challenge, remembered here until the callback.
func (a *Auth) start(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := a.providerFor(ctx)
	if err != nil {
		a.o.Logger.ErrorContext(ctx, "signin: the identity provider cannot be reached", "issuer", a.o.Issuer, "err", err)
		a.page(w, http.StatusBadGateway, "Sign-in is unavailable", "The identity provider could not be reached. Try again in a minute; the error was logged.")
		return
	}
	state, nonce, verifier := newID(), newID(), oauth2.GenerateVerifier()
	now := a.o.Clock.Now()
	a.mu.Lock()
	// Someone starting sign-ins without finishing them makes the oldest
	// give way rather than memory.
	makeRoom(a.pending, now, maxPending, func(pl *pendingLogin) time.Time { return pl.expires })
	a.pending[state] = &pendingLogin{nonce: nonce, verifier: verifier, next: localPath(r.URL.Query().Get("next")), expires: now.Add(pendingTTL)}
	a.mu.Unlock()
	http.SetCookie(w, a.cookie(r, stateCookie, state, a.callback, int(pendingTTL.Seconds())))
	to := a.oauth(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	http.Redirect(w, r, to, http.StatusFound)
}

// refusal is a sign-in that did not succeed: status and what the person
// reads; the reason goes to the log.
type refusal struct {
	status int
	msg    string
	reason string
}

func (e *refusal) Error() string { return e.reason }

func refuse(status int, msg, reason string, args ...any) *refusal {
	return &refusal{status: status, msg: msg, reason: fmt.Sprintf(reason, args...)}
}

// finish is the callback: the state must be the one this browser was
// given, the code is exchanged with the PKCE verifier, and the ID token
// must verify and carry the nonce.
func (a *Auth) finish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	actor, next, err := a.complete(ctx, r)
	// The state is spent either way.
	http.SetCookie(w, a.cookie(r, stateCookie, "", a.callback, -1))
	if err != nil {
		var rf *refusal
		if !errors.As(err, &rf) {
			rf = &refusal{status: http.StatusBadGateway, msg: "The sign-in could not be completed; the error was logged.", reason: err.Error()}
		}
		a.o.Logger.WarnContext(ctx, "signin: refused", "status", rf.status, "reason", rf.reason)
		a.recordRefusal(ctx, rf.status, rf.reason)
		a.page(w, rf.status, "Not signed in", rf.msg)
		return
	}
	id := newID()
	now := a.o.Clock.Now()
	a.mu.Lock()
	makeRoom(a.sessions, now, maxSessions, func(s *session) time.Time { return s.expires })
	a.sessions[id] = &session{actor: actor, expires: now.Add(a.o.SessionTTL)}
	a.mu.Unlock()
	http.SetCookie(w, a.cookie(r, sessionCookie, id, "/", int(a.o.SessionTTL.Seconds())))
	a.o.Logger.InfoContext(ctx, "signin: signed in", "email", actor.Email, "roles", len(a.o.Roles(actor.Email)))
	a.record(ctx, offboard.AuditEvent{Actor: actor, Action: "signin.ok", Target: actor.Email, Outcome: offboard.OutcomeOK,
		Evidence: map[string]string{"issuer": a.o.Issuer, "subject": actor.PlatformUserID}})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (a *Auth) complete(ctx context.Context, r *http.Request) (offboard.Actor, string, error) {
	q := r.URL.Query()
	state := q.Get("state")
	ck, err := r.Cookie(stateCookie)
	if state == "" || err != nil || !same(ck.Value, state) {
		return offboard.Actor{}, "", refuse(http.StatusBadRequest, "This sign-in was not started in this browser, or it is out of date. Start again.",
			"state missing or not this browser's")
	}
	a.mu.Lock()
	pl := a.pending[state]
	delete(a.pending, state)
	a.mu.Unlock()
	if pl == nil || !a.o.Clock.Now().Before(pl.expires) {
		return offboard.Actor{}, "", refuse(http.StatusBadRequest, "This sign-in is out of date. Start again.", "unknown or expired state")
	}
	if e := q.Get("error"); e != "" {
		// Only the code is shown: the description is the provider's text
		// passed through the browser, which anyone can write.
		return offboard.Actor{}, "", refuse(http.StatusUnauthorized, "The identity provider did not sign you in ("+shortCode(e)+").",
			"the provider answered error %q", shortCode(e))
	}
	code := q.Get("code")
	if code == "" {
		return offboard.Actor{}, "", refuse(http.StatusBadRequest, "The identity provider sent no code. Start again.", "callback without a code")
	}
	p, err := a.providerFor(ctx)
	if err != nil {
		return offboard.Actor{}, "", err
	}
	tok, err := a.oauth(p).Exchange(context.WithValue(ctx, oauth2.HTTPClient, a.o.HTTPClient), code, oauth2.VerifierOption(pl.verifier))
	if err != nil {
		return offboard.Actor{}, "", refuse(http.StatusUnauthorized, "The identity provider did not accept the sign-in. Start again.",
			"code exchange: %s", exchangeError(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return offboard.Actor{}, "", refuse(http.StatusUnauthorized, "The identity provider sent no ID token.", "token response without id_token")
	}
	idt, err := p.VerifierContext(oidc.ClientContext(ctx, a.o.HTTPClient), &oidc.Config{ClientID: a.o.ClientID, Now: a.o.Clock.Now}).Verify(ctx, raw)
	if err != nil {
		return offboard.Actor{}, "", refuse(http.StatusUnauthorized, "The ID token did not verify, so you are not signed in.", "id token: %v", err)
	}
	if !same(idt.Nonce, pl.nonce) {
		return offboard.Actor{}, "", refuse(http.StatusUnauthorized, "The ID token was not issued for this sign-in.", "nonce mismatch")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return offboard.Actor{}, "", fmt.Errorf("signin: id token claims: %w", err)
	}
	email, _ := claims[a.o.EmailClaim].(string)
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || !strings.Contains(email, "@") {
		return offboard.Actor{}, "", refuse(http.StatusForbidden, "Your identity provider gave no email address, so offboard cannot tell who you are.",
			"no email in claim %q", a.o.EmailClaim)
	}
	if verifiedFalse(claims["email_verified"]) {
		return offboard.Actor{}, "", refuse(http.StatusForbidden, "Your email address is not verified at the identity provider.",
			"email_verified is false")
	}
	name, _ := claims["name"].(string)
	return offboard.Actor{Kind: offboard.ActorPerson, ID: email, Email: email, Name: strings.TrimSpace(name),
		PlatformUserID: idt.Subject}, pl.next, nil
}

// verifiedFalse is true only when the provider says the email is not
// verified (a boolean false or the string "false"); a missing claim is
// not a no (Entra ID sends none).
func verifiedFalse(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case string:
		return strings.EqualFold(x, "false")
	}
	return false
}

// same compares in constant time.
func same(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// shortCode keeps an OAuth error code printable and short.
func shortCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return -1
	}, s)
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// exchangeError names the token endpoint's refusal without its body.
func exchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return "token endpoint answered " + shortCode(re.ErrorCode)
		}
		if re.Response != nil {
			return "token endpoint answered HTTP " + re.Response.Status
		}
	}
	return err.Error()
}

// signOut forgets the session here and in the browser.
func (a *Auth) signOut(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		s := a.sessions[ck.Value]
		delete(a.sessions, ck.Value)
		a.mu.Unlock()
		if s != nil {
			a.record(r.Context(), offboard.AuditEvent{Actor: s.actor, Action: "signin.signed_out", Target: s.actor.Email, Outcome: offboard.OutcomeOK})
		}
	}
	http.SetCookie(w, a.cookie(r, sessionCookie, "", "/", -1))
	http.Redirect(w, r, SignOutPath, http.StatusSeeOther)
}

// signedOut is a page of its own: sending people to / would sign them
// straight back in through the provider's single sign-on.
func (a *Auth) signedOut(w http.ResponseWriter, r *http.Request) {
	msg := "You are signed out of offboard."
	a.pageLink(w, http.StatusOK, "Signed out", msg, a.OIDC())
}

// makeRoom prepares a bounded map for one more entry: it drops the
// entries expired at now and, if max are still there, the one that
// expires first.
func makeRoom[V any](m map[string]V, now time.Time, max int, expires func(V) time.Time) {
	for k, v := range m {
		if !now.Before(expires(v)) {
			delete(m, k)
		}
	}
	if len(m) < max {
		return
	}
	var oldest string
	for k, v := range m {
		if oldest == "" || expires(v).Before(expires(m[oldest])) {
			oldest = k
		}
	}
	delete(m, oldest)
}
