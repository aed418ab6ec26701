package offboard

import "strconv"

// BatchKey is the batch the case counts in: its Batch as named by the
// source that sent it, kept apart per source and sender. Two API tokens
// (or an API token and an HR source) naming the same batch — by chance
// or on purpose — get two batches, so one never counts its cases in, or
// learns counts from, another's department summaries. "" outside a
// batch. The sender is quoted, so no pair of sender and name spells
// another's.
func (c *Case) BatchKey() string {
	if c.Batch == "" {
		return ""
	}
	return strconv.Quote(c.Source+":"+c.SourceRef) + "/" + c.Batch
}
