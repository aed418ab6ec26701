package flows

import "github.com/offboard-dev/offboard"

// redact returns cmd with the configured secrets removed from the text
// it carries into the store: action errors and results from the workers,
// and what people and HR systems write (notes, reasons, comments).
func (e *Engine) redact(cmd offboard.Command) offboard.Command {
	if c, ok := cmd.(offboard.ActionSucceeded); ok {
		cmd = blankSecrets(c)
	}
	r := e.redactor
	if r.Empty() {
		return cmd
	}
	switch c := cmd.(type) {
	case offboard.ActionFailed:
		c.Error = r.String(c.Error)
		return c
	case offboard.ActionSucceeded:
		c.Summary, c.Evidence = r.String(c.Summary), r.Map(c.Evidence)
		return c
	case offboard.OpenCase:
		c.Notes = r.String(c.Notes)
		return c
	case offboard.CompleteTask:
		c.Note = r.String(c.Note)
		return c
	case offboard.SkipTask:
		c.Reason = r.String(c.Reason)
		return c
	case offboard.CancelCase:
		c.Reason = r.String(c.Reason)
		return c
	case offboard.RevokeNow:
		c.Reason = r.String(c.Reason)
		return c
	case offboard.DecideApproval:
		c.Comment = r.String(c.Comment)
		return c
	}
	return cmd
}
