package web

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// requestInfo travels in the request context so that inner handlers can
// tell the access log who acted.
type requestInfo struct {
	id    string
	actor string
}

type ctxKey struct{}

// RequestID returns the id of the request ctx belongs to ("" outside a
// request served by Handler). Mounted handlers use it in their logs.
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return ri.id
	}
	return ""
}

func setActor(ctx context.Context, a offboard.Actor) {
	if ri, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		ri.actor = a.String()
	}
}

// middleware wraps h, outermost first: request id, security headers,
// access log with panic recovery, the Host allow-list.
func (s *Server) middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := &requestInfo{id: requestID(r.Header.Get("X-Request-Id"))}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
		hdr := w.Header()
		hdr.Set("X-Request-Id", ri.id)
		hdr.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || strings.HasPrefix(r.URL.Path, "/api/") {
			hdr.Set("Cache-Control", "no-store")
		}
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if v := recover(); v != nil {
				s.recovered(sw, r, v)
			}
			s.accessLog(r, ri, sw, time.Since(start))
		}()
		if !s.hosts.allows(r) {
			misdirected(sw, r)
			return
		}
		h.ServeHTTP(sw, r)
	})
}

// recovered answers 500 after a handler panicked. If the response had
// already begun it cannot be fixed, so the connection is aborted.
func (s *Server) recovered(sw *statusWriter, r *http.Request, v any) {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
		slog.String("request_id", RequestID(r.Context())),
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
	if sw.wrote {
		panic(http.ErrAbortHandler)
	}
	writeJSONError(sw, http.StatusInternalServerError, offboard.EINTERNAL, internalMessage)
}

// accessLog writes one line per request: never bodies, headers or the
// query string (it may carry an email). Lines are at debug: every chat
// click, console redraw, probe and scrape is a request, and at info they
// drowned what an operator needs (log.level: debug shows them). A server
// error (5xx) stays a warning: that one someone must see.
func (s *Server) accessLog(r *http.Request, ri *requestInfo, sw *statusWriter, d time.Duration) {
	level := slog.LevelDebug
	if sw.status >= http.StatusInternalServerError {
		level = slog.LevelWarn
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("bytes", sw.bytes),
		slog.String("request_id", ri.id),
	}
	if ri.actor != "" {
		attrs = append(attrs, slog.String("actor", ri.actor))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// requestID keeps a caller's X-Request-Id when it is short and plain, and
// makes a new one otherwise, so that log lines cannot be forged with it.
func requestID(in string) string {
	if in != "" && len(in) <= 128 && strings.IndexFunc(in, badIDRune) < 0 {
		return in
	}
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func badIDRune(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=')
}

// statusWriter records the status and size of a response. It passes
// Flush and Hijack through (and Unwrap for http.ResponseController) so
// that mounted handlers can stream.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status, w.wrote = http.StatusSwitchingProtocols, true
	}
	return conn, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
