package offboard

import "context"

// AuditLog appends events that change no case to the audit chain: a
// refused webhook or request, a sign-in, a panic in scheduled work. Each
// Append is its own transaction. The store implements it and removes the
// configured secrets first, since a refusal may quote what the sender
// sent. Changes of a case are audited by the engine, in the command's
// transaction, never through here.
type AuditLog interface {
	Append(ctx context.Context, e AuditEvent) error
}

// AuditFunc adapts a function to AuditLog.
type AuditFunc func(ctx context.Context, e AuditEvent) error

// Append returns f(ctx, e).
func (f AuditFunc) Append(ctx context.Context, e AuditEvent) error { return f(ctx, e) }
