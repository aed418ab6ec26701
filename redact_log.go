package offboard

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
)

// RedactingHandler returns a slog.Handler that removes r's secrets from
// every record before h sees it: the message, and every attribute that
// can carry text (strings, errors, any value, inside groups too). With no
// secrets it returns h.
func RedactingHandler(h slog.Handler, r *Redactor) slog.Handler {
	if r.Empty() {
		return h
	}
	return &redactingHandler{h: h, r: r}
}

type redactingHandler struct {
	h slog.Handler
	r *Redactor
}

func (rh *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return rh.h.Enabled(ctx, l)
}

func (rh *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, rh.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rh.attr(a))
		return true
	})
	return rh.h.Handle(ctx, out)
}

func (rh *redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = rh.attr(a)
	}
	return &redactingHandler{h: rh.h.WithAttrs(clean), r: rh.r}
}

func (rh *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{h: rh.h.WithGroup(name), r: rh.r}
}

// attr returns a with its value redacted. Values that hold no secret
// keep their kind, so the JSON handler still writes numbers and objects.
func (rh *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, rh.r.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = rh.attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		x := v.Any()
		if err, ok := x.(error); ok {
			return slog.String(a.Key, rh.r.String(err.Error()))
		}
		// The text and the JSON handlers print an arbitrary value in
		// different ways; a secret in either means it is written as
		// redacted text.
		text := fmt.Sprintf("%+v", x)
		if bs, ok := x.([]byte); ok {
			text = string(bs)
		}
		if rh.r.Contains(text) {
			return slog.String(a.Key, rh.r.String(text))
		}
		if b, err := json.Marshal(x); err == nil && rh.r.Contains(string(b)) {
			return slog.String(a.Key, rh.r.String(string(b)))
		}
		return slog.Attr{Key: a.Key, Value: v}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
