// Package store keeps offboard's state in one bbolt file and owns every
// byte in it: cases, tasks, approvals, the hash-chained audit trail, the
// outbox of jobs, dead letters, webhook dedupe keys and the indexes over
// them. It imports only the root package, go.etcd.io/bbolt and the
// standard library; no other package touches bbolt.
//
// DB implements offboard.Store, and offboard.JobQueue for the worker
// pool, whose methods each own their transaction. The engine does all its reading and
// writing for one command inside one Update, so the new state, its audit
// events and the jobs it causes commit together or not at all (a
// transactional outbox). No network call may happen inside Update: bbolt
// has one writer at a time, and every other writer waits. Do not call
// View or Update from inside an Update on the same goroutine either; it
// can deadlock.
//
// The file is locked while open. A second Open, from another process or
// the same one, waits Options.LockTimeout and fails with a *LockedError.
//
// # Layout
//
// Ids in keys never contain NUL, which separates the parts of index keys.
// Numbers in keys are 8-byte big-endian, so byte order is numeric order;
// times in keys are nanoseconds since 1970, clamped at zero. Records are
// JSON.
//
//	meta               "schema_version" → "1" (decimal text)
//	                   "audit_head"     → hash of the last audit event
//	cases              case id → Case; the bucket sequence numbers cases
//	tasks              <case id>\x00<task key> → Task
//	approvals          approval id → Approval; the sequence numbers approvals
//	approvals_by_case  <case id>\x00<approval id> → empty
//	audit              <seq> → AuditEvent, the canonical JSON including its hash
//	audit_by_case      <case id>\x00<seq> → empty
//	jobs               job id → Job, queued or leased
//	jobq               <rank byte><not-before nanos><job id> → empty; unleased jobs only
//	jobs_by_case       <case id>\x00<job id> → empty
//	dead               job id → Job with DeadAt, kept for people
//	dedupe             source event id → {"case_id", "at"}
//	idx_email          <lowercased email>\x00<case id> → empty
//	idx_status         <status>\x00<case id> → empty
//	idx_due            <run-at nanos><case id>\x00<task key> → empty
//	delivered          <platform>\x00<notice id> → {"case_id", "at"}; created by the
//	                   first marker, dropped 30 days after "at" (delivered.go)
//	personal           case id → {"key", "values": token → name or email} until the
//	                   case is erased, then {"erased_at"}; created by the first case
//	                   (personal.go, erase.go)
//	idx_wake           <wake nanos><case id> → empty; created by the first wake (wake.go)
//	wake_by_case       case id → <wake nanos>: where each case sits in idx_wake
//	meta "wake_policy" → the engine's fingerprint of the rules the wake times follow
//	idx_revoked        <revoked nanos><case id> → empty; made by a new file, or filled
//	                   once by BuildTimeIndexes for a file from before it (timeindex.go)
//	idx_closed         <closed nanos><case id> → empty, for closed cases not yet erased;
//	                   made and filled as idx_revoked
//	meta "revoked_index", "closed_index" → present once that index covers every case
//
// The rank byte of jobq is offboard.Priority.Rank (revocation 0 … report
// 3, unknown 255), so a walk in key order serves revocations first and,
// within a priority, the longest-waiting job first. idx_due holds a task
// iff its RunAt is set and it is pending, scheduled or waiting for an
// approval. Writers read the old record in the same transaction and delete
// index entries that no longer apply.
//
// Case ids sort as strings only while they have the same width
// (OFF-10000 sorts before OFF-9999), so lists of case ids are ordered by
// their number, never by key bytes.
//
// # Audit chain
//
// Each event's Hash is SHA-256 over the previous event's hash and the
// event's canonical JSON (offboard.AuditEvent.ComputeHash); the head is
// kept in meta so an append reads one key. VerifyAudit recomputes the
// chain and also checks that each stored value is byte for byte the
// canonical encoding of what it decodes to, so a change of any single
// byte of any stored event is reported with that event's number. The
// chain lives in the same file an attacker with write access could
// rewrite end to end; anchoring the head hash elsewhere is what makes it
// evidence.
package store
