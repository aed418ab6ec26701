// Package offboard is the domain of offboard, a chat-first IT offboarding
// bot: cases, employees, tasks, approvals, playbooks, actors and their
// authorization rules, audit events, outbox jobs, error codes, the verbs
// (the commands, their Result, CaseView, Digest), and the interfaces the
// other packages implement or use (CaseService, Store, Notifier, Clock).
//
// It imports only the standard library. The engine in flows implements
// CaseService and is the only code that changes a case; store persists,
// connectors act on outside systems, bot renders to chat platforms, web
// serves HTTP, and cmd/offboard wires them together. Only cmd/offboard
// imports flows: everything else sends commands to a CaseService.
package offboard

// Version is set at build time with -ldflags "-X github.com/offboard-dev/offboard.Version=…".
var Version = "dev"
