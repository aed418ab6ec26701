package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/offboard-dev/offboard"
)

// takeBackup serves POST /api/v1/admin/backup: a checked hot backup of
// the store, for admin tokens only. It answers 201 with the backup's
// name, size and what was checked; 409 when backups are off.
func (s *Server) takeBackup(w http.ResponseWriter, r *http.Request, a offboard.Actor) error {
	if !a.IsAdmin() {
		return s.adminRefused(r, a, "backup", offboard.Errorf(offboard.EFORBIDDEN,
			"only a token with the admin role may take a backup; %s has role %v", a.ID, a.Roles))
	}
	if s.backup == nil {
		return s.adminRefused(r, a, "backup", offboard.Errorf(offboard.ECONFLICT,
			"backups are off: set store.backup.dir in the config (README → Backups and restore)"))
	}
	rep, err := s.backup(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

// adminRefused logs and audits a refused admin request, and returns err.
func (s *Server) adminRefused(r *http.Request, a offboard.Actor, what string, err error) error {
	status := statusFor(offboard.ErrorCode(err))
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "api: admin request refused",
		slog.String("request_id", RequestID(r.Context())), slog.String("actor", a.String()),
		slog.String("what", what), slog.Int("status", status), slog.String("reason", offboard.ErrorMessage(err)))
	if s.audit != nil {
		ev := offboard.AuditEvent{Time: time.Now(), Actor: a, Action: "api.rejected", Target: what,
			Outcome: offboard.OutcomeRefused, Detail: what + ": " + offboard.ErrorMessage(err),
			Evidence: map[string]string{"status": strconv.Itoa(status), "request_id": RequestID(r.Context())}}
		if aerr := s.audit.Append(context.WithoutCancel(r.Context()), ev); aerr != nil {
			s.log.Error("api: could not audit a refused admin request", "err", aerr)
		}
	}
	return err
}
