package store

import (
	"context"
	"fmt"

	"github.com/offboard-dev/offboard"
)

// AuditLog returns the audit chain as an offboard.AuditLog for events that
// change no case (refused webhooks and requests, sign-ins, panics in
// scheduled work). Each Append is its own transaction. Target, Detail
// and Evidence pass through redactor first (nil: none): a refusal may
// quote what the sender sent, secrets included.
func (db *DB) AuditLog(redactor *offboard.Redactor) offboard.AuditLog {
	return auditLog{db: db, redactor: redactor}
}

type auditLog struct {
	db       *DB
	redactor *offboard.Redactor
}

func (l auditLog) Append(ctx context.Context, ev offboard.AuditEvent) error {
	ev.Target, ev.Detail, ev.Evidence = l.redactor.String(ev.Target), l.redactor.String(ev.Detail), l.redactor.Map(ev.Evidence)
	err := l.db.Update(ctx, func(tx offboard.Tx) error {
		e := ev // AppendAudit changes its event; a group commit may run this again
		return tx.AppendAudit(&e)
	})
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", ev.Action, err)
	}
	return nil
}
