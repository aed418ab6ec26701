// Package anchor writes and checks signed checkpoints of the audit chain
// (offboard.Checkpoint). The chain alone proves only that it is
// consistent: whoever can write the store file can cut it short and
// rewrite the head, or re-chain every hash, and it still verifies. A
// checkpoint signs the head with a key the store never holds and lives
// outside the store, in an append-only file meant for another volume, so
// a rewrite of the store no longer agrees with what was signed before.
//
// The Checkpointer is serve's writer: it never blocks or fails a
// command, and a failure is logged loudly and retried at the next
// occasion. Verify is the auditor's check, reading only.
package anchor
