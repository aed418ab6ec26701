package dashboard

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

type viewerKeyT struct{}

// identified puts the viewer of each request into its context: the
// signed-in person when Options.ViewerOf is set, else Options.Viewer.
// Nobody signed in is refused here too, whatever wraps the dashboard.
func (s *server) identified(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.o.Viewer
		if s.o.ViewerOf != nil {
			a, ok := s.o.ViewerOf(r)
			if !ok || a.Kind == "" || a.ID == "" {
				if r.URL.Path == "/static/style.css" {
					h.ServeHTTP(w, r)
					return
				}
				s.fail(w, r, http.StatusUnauthorized, "Sign in to see the dashboard.")
				return
			}
			v = a
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewerKeyT{}, v)))
	})
}

// viewerOf is who a request's pages are for.
func viewerOf(ctx context.Context) offboard.Actor {
	v, _ := ctx.Value(viewerKeyT{}).(offboard.Actor)
	return v
}

func viewerKey(a offboard.Actor) string {
	return string(a.Kind) + ":" + strings.ToLower(a.ID)
}

// seesAll reports whether the viewer may see every case, confidential
// ones included (HR, IT, Security, Legal, admins, offboard itself). Only they see
// audit events that belong to no case, such as refused deliveries.
func seesAll(a offboard.Actor) bool {
	return offboard.CanViewCase(a, &offboard.Case{Confidential: true}) == nil
}

// auditScope returns which events of f the viewer may see: all for those
// who see every case; otherwise only events of cases they may see.
func (s *server) auditScope(ctx context.Context, f offboard.AuditFilter) (func(*offboard.AuditEvent) bool, error) {
	viewer := viewerOf(ctx)
	if seesAll(viewer) {
		return func(*offboard.AuditEvent) bool { return true }, nil
	}
	if f.CaseID != "" {
		if _, err := s.o.Engine.GetCase(ctx, viewer, f.CaseID); err != nil {
			return nil, err
		}
		return func(e *offboard.AuditEvent) bool { return e.CaseID == f.CaseID }, nil
	}
	cases, err := s.o.Engine.CaseSummaries(ctx, viewer, "", time.Time{}, 0)
	if err != nil {
		return nil, err
	}
	ids := make(map[offboard.CaseID]bool, len(cases))
	for _, c := range cases {
		ids[c.ID] = true
	}
	return func(e *offboard.AuditEvent) bool { return e.CaseID != "" && ids[e.CaseID] }, nil
}
