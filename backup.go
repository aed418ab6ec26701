package offboard

// BackupReport describes one backup of the store that passed its checks:
// what the admin API answers and what the audit event of the backup says.
type BackupReport struct {
	// Name is the file's name in store.backup.dir.
	Name string `json:"name"`
	// SizeBytes is the size of the copy.
	SizeBytes int64 `json:"size_bytes"`
	// AuditEvents and ChainHead are the copy's verified audit chain: its
	// length and the hash of its last event.
	AuditEvents uint64 `json:"audit_events"`
	ChainHead   string `json:"chain_head"`
	// Cases and Jobs are the records read from the copy (Jobs counts
	// queued, leased and dead jobs).
	Cases int `json:"cases"`
	Jobs  int `json:"jobs"`
	// Checks name what was checked before the copy counted.
	Checks []string `json:"checks"`
	// TookMS is how long copying and checking took, in milliseconds.
	TookMS int64 `json:"took_ms"`
}
