package console

import (
	"crypto/hmac"
	"encoding/json"
	"net/http"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/sameorigin"
)

// personJSON is one suggestion of a person picker: name and email only.
type personJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// peopleSearch answers the person pickers of the open-case form (GET
// /console/people?q=…): the page's script asks as one types, debounced.
// It needs the page's session token in X-CSRF-Token, as a post does, so
// another site cannot read the directory through a visitor's browser;
// the router decides who may search (HR, admins) and how often.
func (c *Console) peopleSearch(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	ck, err := r.Cookie(sessionCookie)
	if !sameorigin.Allowed(r, c.o.PublicURL) || err != nil || !validID(ck.Value) ||
		!hmac.Equal([]byte(r.Header.Get("X-CSRF-Token")), []byte(c.csrfToken(ck.Value))) {
		c.o.Logger.WarnContext(r.Context(), "console: a people search without the page's token was refused")
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "reload the page and try again"})
		return
	}
	who, _ := c.actor(r)
	if who.Kind == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": c.chooseFirst()})
		return
	}
	found, err := c.o.Router.FindPeople(r.Context(), who, r.URL.Query().Get("q"), offboard.MaxSearchResults)
	switch offboard.ErrorCode(err) {
	case "":
	case offboard.EFORBIDDEN:
		c.o.Logger.WarnContext(r.Context(), "console: a people search was refused", "actor", who.String())
		writeJSON(w, http.StatusForbidden, map[string]string{"error": offboard.ErrorMessage(err)})
		return
	case offboard.EUNAVAILABLE:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": offboard.ErrorMessage(err)})
		return
	default:
		c.o.Logger.ErrorContext(r.Context(), "console: people search", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the search failed"})
		return
	}
	out := struct {
		People []personJSON `json:"people"`
	}{People: make([]personJSON, 0, len(found))}
	for _, p := range found {
		out.People = append(out.People, personJSON{Name: p.Name, Email: p.Email})
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
