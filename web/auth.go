package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/offboard-dev/offboard"
)

// token is a configured API token; only the digest of its secret is kept.
type token struct {
	name   string
	role   offboard.Role
	digest [sha256.Size]byte
}

// resolveTokens checks the configured tokens and keeps their digests.
func resolveTokens(in []Token) ([]token, error) {
	out := make([]token, 0, len(in))
	names := map[string]bool{}
	secrets := map[[sha256.Size]byte]string{}
	for i, t := range in {
		switch {
		case strings.TrimSpace(t.Name) == "":
			return nil, fmt.Errorf("web: api token %d has no name", i)
		case names[t.Name]:
			return nil, fmt.Errorf("web: api token name %q is used twice", t.Name)
		case t.Secret == "":
			return nil, fmt.Errorf("web: api token %q has an empty secret", t.Name)
		case !t.Role.Valid():
			return nil, fmt.Errorf("web: api token %q has role %q; use one of %v", t.Name, t.Role, offboard.ConfigurableRoles())
		}
		d := sha256.Sum256([]byte(t.Secret))
		if other, ok := secrets[d]; ok {
			return nil, fmt.Errorf("web: api tokens %q and %q have the same secret", other, t.Name)
		}
		names[t.Name], secrets[d] = true, t.Name
		out = append(out, token{name: t.Name, role: t.Role, digest: d})
	}
	return out, nil
}

var (
	errAPIOff = &httpError{status: http.StatusUnauthorized, code: codeUnauthorized,
		message: "the REST API is off: no api.tokens configured"}
	errBadToken = &httpError{status: http.StatusUnauthorized, code: codeUnauthorized,
		message: "missing or unknown bearer token"}
)

// authenticate resolves the bearer token of r to an API actor. The
// presented token is hashed and compared with every configured digest in
// constant time, so neither its length nor which token it is close to
// leaks through timing.
func (s *Server) authenticate(r *http.Request) (offboard.Actor, *httpError) {
	if len(s.tokens) == 0 {
		return offboard.Actor{}, errAPIOff
	}
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	if !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return offboard.Actor{}, errBadToken
	}
	d := sha256.Sum256([]byte(cred))
	match := -1
	for i := range s.tokens {
		if subtle.ConstantTimeCompare(d[:], s.tokens[i].digest[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return offboard.Actor{}, errBadToken
	}
	t := s.tokens[match]
	return offboard.Actor{Kind: offboard.ActorAPI, ID: t.name, Roles: []offboard.Role{t.role}}, nil
}

// apiHandler serves one API route for an authenticated actor; an error
// is answered by writeError.
type apiHandler func(w http.ResponseWriter, r *http.Request, a offboard.Actor) error

// api authenticates the caller, then runs h.
func (s *Server) api(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, herr := s.authenticate(r)
		if herr != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeJSONError(w, herr.status, herr.code, herr.message)
			return
		}
		setActor(r.Context(), a)
		if err := h(w, r, a); err != nil {
			s.writeError(w, r, err)
		}
	})
}
