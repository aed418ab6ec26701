package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/offboard-dev/offboard"
)

// Error codes web adds to the domain's (offboard.EINVALID, …) for
// failures that happen before a command reaches the engine.
const (
	codeUnauthorized     = "unauthorized"
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "too_large"
	codeUnsupportedMedia = "unsupported_media_type"
	codeMisdirected      = "misdirected_request"
)

// internalMessage is all a caller learns about a bug or a broken store.
var internalMessage = offboard.ErrorMessage(errors.New("internal"))

// httpError is a failure decided by web itself, with its own status.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Unknown lists the emails no directory knows, each with the nearest
	// known one, when that is why a case was refused.
	Unknown []offboard.UnknownEmail `json:"unknown,omitempty"`
}

// statusFor maps an offboard error code to an HTTP status.
func statusFor(code string) int {
	switch code {
	case offboard.EINVALID:
		// Malformed requests are answered 400 before this (httpError);
		// what reaches here was well-formed but cannot be acted on.
		return http.StatusUnprocessableEntity
	case offboard.ENOTFOUND:
		return http.StatusNotFound
	case offboard.EFORBIDDEN:
		return http.StatusForbidden
	case offboard.ECONFLICT:
		return http.StatusConflict
	case offboard.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers err as JSON. Internal errors are logged with their
// detail and answered with a generic message; the caller never sees it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if he, ok := errors.AsType[*httpError](err); ok {
		writeJSONError(w, he.status, he.code, he.message)
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeJSONError(w, http.StatusServiceUnavailable, offboard.EUNAVAILABLE,
			"the request was cancelled or timed out before it was applied; try again")
		return
	}
	if unknown := offboard.UnknownEmails(err); len(unknown) > 0 {
		// Well-formed but unusable until the caller fixes the email or
		// confirms it.
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: errorDetail{Code: offboard.ErrorCode(err),
			Message: offboard.ErrorMessage(err) + ` (if the email is right, send "confirm_unknown": true)`, Unknown: unknown}})
		return
	}
	code := offboard.ErrorCode(err)
	status := statusFor(code)
	if status == http.StatusInternalServerError {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", RequestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("err", err.Error()))
		if code == "" {
			code = offboard.EINTERNAL
		}
	}
	writeJSONError(w, status, code, offboard.ErrorMessage(err))
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// writeJSON answers v as JSON with status. v is marshalled before the
// status is sent, so a marshalling failure still answers 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error; see the offboard log"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
