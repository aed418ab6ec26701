package offboard

import (
	"context"
	"fmt"
)

// Leadership decides which replica runs the work only one replica may run
// at a time: the outbox workers, the schedule and the engine's Tick.
// Every replica serves intake (webhooks, chat, the API, the console)
// whether it leads or not. serve wires the etcd store's election when
// several replicas share a store, and SoleReplica for the bbolt file,
// which one process opens.
type Leadership interface {
	// Lead blocks until this replica leads, or until ctx is done (it then
	// returns ctx's error). The context it returns is the term: it is
	// done when this replica stops leading (its lease ended, the store
	// became unreachable) or ctx is done, and work started for the term
	// stops with it.
	Lead(ctx context.Context) (context.Context, error)
}

// SoleReplica is the Leadership of a store only one process opens: it
// leads from the start until ctx is done.
type SoleReplica struct{}

// Lead returns ctx: the term lasts as long as the caller's context.
func (SoleReplica) Lead(ctx context.Context) (context.Context, error) { return ctx, ctx.Err() }

// jobResultKey marks a context as recording the result of one job's run.
type jobResultKey struct{}

// WithJobResult marks ctx as recording the result of a run of the job
// with this id, which this replica claimed. A store whose claims can end
// without the replica knowing (etcd, where a claim lives as long as the
// replica's lease) then writes that job only while the claim is still
// this replica's, so a replica that lost its lease cannot record a result
// over the new owner's.
func WithJobResult(ctx context.Context, jobID string) context.Context {
	return context.WithValue(ctx, jobResultKey{}, jobID)
}

// JobResultOf returns the job whose result ctx records, or "".
func JobResultOf(ctx context.Context) string {
	id, _ := ctx.Value(jobResultKey{}).(string)
	return id
}

// ClaimLostError says a job's result was not recorded because this
// replica no longer holds the job: its claim ended with its lease, or
// another replica claimed the job since. The action ran all the same;
// the replica that holds the job now runs it again, which is safe
// because actions are idempotent.
type ClaimLostError struct {
	JobID string
}

func (e *ClaimLostError) Error() string {
	return fmt.Sprintf("the result of job %s was not recorded: this replica no longer holds the job (its lease ended or another replica claimed it); "+
		"the action ran, and the replica holding the job runs it again (actions are idempotent)", e.JobID)
}
