package googlefake

import (
	"net/http"
	"slices"
	"strings"
)

const (
	scopeGmailSharing = "https://www.googleapis.com/auth/gmail.settings.sharing"
	// scopeGmailBasic is one of the scopes Google's discovery document
	// lists for delegates.get and delegates.list (with gmail.readonly,
	// gmail.modify and mail.google.com, which the fake does not model);
	// gmail.settings.sharing is not among them.
	scopeGmailBasic = "https://www.googleapis.com/auth/gmail.settings.basic"
)

// Gmail's delegation limits as its delegates.create reference states
// them: "in general each user can have up to 25 delegates and up to 10
// delegators".
const (
	MaxDelegates  = 25
	MaxDelegators = 10
)

// mailboxOr403 is the path's {userId}: "me" or the acting user's own
// address. Gmail settings calls act as the mailbox owner; naming another
// mailbox is refused as Google refuses it ("Delegation denied").
func (s *Server) mailboxOr403(w http.ResponseWriter, r *http.Request, actor *User) bool {
	id := strings.ToLower(r.PathValue("userId"))
	if id == "me" || id == actor.PrimaryEmail || slices.Contains(s.aliasesLocked()[actor.ID], id) {
		return true
	}
	apiError(w, http.StatusForbidden, "forbidden", "Delegation denied for "+actor.PrimaryEmail)
	return false
}

func delegateJSON(email string) map[string]string {
	// The API creates delegates straight as accepted, and the fake has no
	// other kind.
	return map[string]string{"delegateEmail": email, "verificationStatus": "accepted"}
}

// SetAliases gives the user with the email or id other addresses, which
// Gmail refuses as a delegate (a delegate is named by its primary
// address). They live beside User, in the state of this file.
func (s *Server) SetAliases(key string, aliases ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findLocked(key, true)
	if u == nil {
		return false
	}
	var lowered []string
	for _, a := range aliases {
		lowered = append(lowered, strings.ToLower(strings.TrimSpace(a)))
	}
	s.aliasesLocked()[u.ID] = lowered
	return true
}

func (s *Server) aliasesLocked() map[string][]string {
	m, ok := s.ext["aliases"].(map[string][]string)
	if !ok {
		m = map[string][]string{}
		s.ext["aliases"] = m
	}
	return m
}

// aliasOwnerLocked is the user whose alias email is, or nil.
func (s *Server) aliasOwnerLocked(email string) *User {
	for id, as := range s.aliasesLocked() {
		if u := s.users[id]; u != nil && !u.Deleted && slices.Contains(as, email) {
			return u
		}
	}
	return nil
}

// gmailRoutes are the Gmail API's delegate routes
// (users.settings.delegates).
func (s *Server) gmailRoutes() {
	s.route("POST /gmail/v1/users/{userId}/settings/delegates", scopeGmailSharing, false, s.createDelegate)
	s.route("GET /gmail/v1/users/{userId}/settings/delegates", scopeGmailBasic, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !s.mailboxOr403(w, r, actor) {
			return
		}
		// Google leaves the field out when there are none.
		body := map[string]any{}
		if len(actor.Delegates) > 0 {
			var ds []map[string]string
			for _, d := range actor.Delegates {
				ds = append(ds, delegateJSON(d))
			}
			body["delegates"] = ds
		}
		writeJSON(w, http.StatusOK, body)
	})
	s.route("GET /gmail/v1/users/{userId}/settings/delegates/{delegateEmail}", scopeGmailBasic, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !s.mailboxOr403(w, r, actor) {
			return
		}
		email := strings.ToLower(r.PathValue("delegateEmail"))
		if !slices.Contains(actor.Delegates, email) {
			apiError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
			return
		}
		writeJSON(w, http.StatusOK, delegateJSON(email))
	})
	s.route("DELETE /gmail/v1/users/{userId}/settings/delegates/{delegateEmail}", scopeGmailSharing, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !s.mailboxOr403(w, r, actor) {
			return
		}
		email := strings.ToLower(r.PathValue("delegateEmail"))
		i := slices.Index(actor.Delegates, email)
		if i < 0 {
			apiError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
			return
		}
		actor.Delegates = slices.Delete(actor.Delegates, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	})
}

// createDelegate is delegates.create. Google documents the rules (same
// organisation, primary address not an alias, 25 delegates and 10
// delegators) but not its error answers; the reasons here are the ones
// Google's answers carry in practice (alreadyExists 409, invalidArgument
// and failedPrecondition 400), the texts are the fake's.
func (s *Server) createDelegate(w http.ResponseWriter, r *http.Request, actor *User) {
	if !s.mailboxOr403(w, r, actor) {
		return
	}
	var in struct {
		DelegateEmail string `json:"delegateEmail"`
		// Read-only: Google ignores it on create.
		VerificationStatus string `json:"verificationStatus"`
	}
	if !decodeStrict(w, r, &in) {
		return
	}
	email := strings.ToLower(strings.TrimSpace(in.DelegateEmail))
	invalid := func(msg string) { apiError(w, http.StatusBadRequest, "invalidArgument", msg) }
	if email == "" {
		invalid("Missing delegate email.")
		return
	}
	d := s.findLocked(email, false)
	if d == nil || d.PrimaryEmail != email {
		if s.aliasOwnerLocked(email) != nil {
			invalid("Invalid delegate: " + email + " is an alias; name the delegate by its primary address.")
			return
		}
		// Not a user of the organisation (another domain, a group, no one).
		invalid("Invalid delegate: " + email + " is not a user of the delegator's organization.")
		return
	}
	switch {
	case d.ID == actor.ID:
		invalid("Invalid delegate: a user cannot be their own delegate.")
		return
	case slices.Contains(actor.Delegates, email):
		apiError(w, http.StatusConflict, "alreadyExists", "Delegate already exists.")
		return
	case d.Suspended || d.Archived:
		apiError(w, http.StatusBadRequest, "failedPrecondition", "Bad Request: the delegate's account is not active.")
		return
	case len(actor.Delegates) >= MaxDelegates:
		apiError(w, http.StatusBadRequest, "failedPrecondition", "Bad Request: the delegator has reached the limit of delegates.")
		return
	case s.delegatorsLocked(email) >= MaxDelegators:
		apiError(w, http.StatusBadRequest, "failedPrecondition", "Bad Request: the delegate has reached the limit of delegators.")
		return
	}
	actor.Delegates = append(actor.Delegates, email)
	writeJSON(w, http.StatusOK, delegateJSON(email))
}

// delegatorsLocked counts the mailboxes email is a delegate of.
func (s *Server) delegatorsLocked(email string) int {
	n := 0
	for _, u := range s.users {
		if !u.Deleted && slices.Contains(u.Delegates, email) {
			n++
		}
	}
	return n
}
