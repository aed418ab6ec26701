// Package etcdstore is offboard's second store backend: offboard.Store,
// offboard.Tx, the audit chain and the job queue over etcd, so that
// several replicas can share one store (issue 21, first step).
//
// # Guarantees
//
// One Update is one etcd transaction. fn runs against a snapshot: every
// read is served at one revision R and remembered. The commit is a Txn
// whose compares say "nothing I read changed since R" — the ModRevision
// of each key read is what it was, and no key in a range read has a
// ModRevision after R — and whose success branch holds every write. A
// failed compare means another writer won; fn runs again on a fresh
// snapshot (offboard.Store allows fn to run more than once). So two
// replicas never both commit on the same state: the audit chain, whose
// head key every append reads, never forks, and two commands opening a
// case under one dedupe key open one case.
//
// A key deleted from a range that another transaction read would not
// fail that transaction's range compare (a missing key has nothing to
// compare), so keys that live in scanned ranges are never deleted by a
// command: they are overwritten with an empty value, a tombstone that
// reads as absent and that does move the range's ModRevision. Later
// commits purge a few tombstones they saw unchanged (purge.go).
//
// # Layout
//
// Every key starts with Options.Prefix ("offboard/" by default; New
// refuses one inside another store's, prefix.go), then a kind, as the
// bbolt store's buckets: values are JSON, index entries hold "1",
// numbers in keys are big-endian so byte order is numeric.
//
//	meta/schema_version          "1"
//	meta/seq/{cases,approvals,jobs}  decimal counters
//	meta/audit_head              {"seq":n,"hash":"…"}
//	cases/<id>                   offboard.Case
//	idx/email/<email>\x00<id>    index
//	idx/status/<status>\x00<id>  index
//	tasks/<id>\x00<key>          task record (with its secrets)
//	idx/due/<u64 runat><id>\x00<key>  index
//	idx/wake/<u64 wake><id>      index: when Tick must next look at a case
//	wake_by_case/<id>            <u64 wake>, where the case sits in idx/wake
//	meta/wake_policy             the engine's fingerprint of the wake rules
//	approvals/<approval id>      offboard.Approval
//	approvals_case/<id>\x00<aid> index
//	audit/<u64 seq>              offboard.AuditEvent, canonical bytes
//	audit_case/<id>\x00<u64 seq> index
//	jobs/<job id>                offboard.Job
//	jobq/<rank><u64 notbefore><u64 seq><job id>  index of queued jobs
//	claims/<job id>              lease id (hex): the job is leased; bound to that lease
//	leader/<lease id>            election candidates (concurrency.Election)
//	jobs_case/<id>\x00<job id>   index
//	dead/<job id>                dead-lettered offboard.Job
//	dedupe/<key>                 {"case_id":…,"at":…}
//	personal/<id>                the case's token key and plaintext
//	delivered/<platform>\x00<notice id>  a chat notice delivered (outside commands)
//	batches/{s,c}\x00<platform>\x00<batch>\x00<dept or case>  a chat batch's records
//
// # Leadership and claims
//
// Leader (leader.go) is the replica's etcd session and its campaign on
// leader/; it is offboard.Leadership, so the runner and the schedule run
// only on the leader and stop the moment its session ends. A job is
// leased while its claims/ key exists; ClaimJobs writes it bound to the
// session lease, only if absent, so the claims of a replica that dies
// vanish with its lease and its jobs are ready again. A run's result is
// written only while the claim is still this session's (claims.go:
// fence), so a replica that lost its lease cannot record a result over
// the new holder's: it gets *offboard.ClaimLostError.
//
// # Not here
//
// Backups and compaction of the bbolt store are etcd's own tools' work
// (etcdctl snapshot save, defrag, --auto-compaction-retention).
//
// # Limits
//
// A commit holds at most Options.MaxTxnOps operations, and the members'
// --max-txn-ops must allow as many: opening a case with every system
// configured takes about 160, so members run with 1024; the engine on
// etcd takes TickBatch due tasks per tick so that a layoff's T-0 fits
// too. A cluster without a quorum fails a command with ErrUnavailable
// within its context's deadline; too large a command fails with
// ErrTooManyOps, saying which limit to raise.
//
// # Migration
//
// Import copies a bbolt store's records (store.DB.Export) into an empty
// prefix, key for key (the key bytes after the kind are the same in both
// layouts), in transactions of at most MaxImportBatch operations, and
// writes the schema version last; New refuses a prefix with keys but no
// version, so an unfinished copy is never served.
package etcdstore
