package flows

// redact returns cmd with the configured secrets removed from the text
// it carries into the store: action errors and results from the workers,
// and what people and HR systems write (notes, reasons, comments).
func (e *Engine) redact(cmd Command) Command {
	r := e.redactor
	if r.Empty() {
		return cmd
	}
	switch c := cmd.(type) {
	case ActionFailed:
		c.Error = r.String(c.Error)
		return c
	case ActionSucceeded:
		c.Summary, c.Evidence = r.String(c.Summary), r.Map(c.Evidence)
		return c
	case OpenCase:
		c.Notes = r.String(c.Notes)
		return c
	case CompleteTask:
		c.Note = r.String(c.Note)
		return c
	case SkipTask:
		c.Reason = r.String(c.Reason)
		return c
	case CancelCase:
		c.Reason = r.String(c.Reason)
		return c
	case RevokeNow:
		c.Reason = r.String(c.Reason)
		return c
	case DecideApproval:
		c.Comment = r.String(c.Comment)
		return c
	}
	return cmd
}
