// Package runner owns offboard's goroutines: the outbox worker pool that
// runs the jobs the engine commits, and the cron schedule that ticks the
// engine.
//
// # Worker pool
//
// Runner.Run claims ready jobs from the queue in one short transaction
// (most urgent first: revocation, then device, chat, report), marks them
// leased, and hands them to workers in two lanes: Workers run actions,
// ChatWorkers run notices. A notice waits on a chat platform (its pace,
// its rate limits, a case's room being drawn) in its own lane, so chat
// never holds a worker that a revocation needs. A worker runs the
// job outside any transaction — a connector action for action jobs, given
// the target the job carries (the runner never reads the case), the chat
// Notifier for notices — and reports an action's outcome to the
// engine as offboard.ActionSucceeded or offboard.ActionFailed; the engine
// decides what it means for the task. Notices are the runner's own: it
// deletes a delivered notice, and retries or dead-letters one that fails.
//
// When an outside API answers with *offboard.RateLimitError, the runner
// pauses every job of that API (Job.API) until the reset time, in memory,
// without counting an attempt. A limit of one part of the API
// ("okta/<bucket>") pauses only the actions that met that part, so a
// spent Okta bucket does not hold back actions that use another. Other failures are retried by the engine
// after a capped exponential backoff with jitter (see Options).
//
// Wake tells the runner that jobs were just committed, so an involuntary
// notice reaches Okta in milliseconds rather than at the next poll; serve
// passes it to the engine as Options.AfterCommit, the one caller.
//
// On shutdown Run stops claiming, lets running jobs finish within a grace
// period, then cancels them. Jobs claimed but not started are released;
// jobs cut off mid-run stay leased and are queued again at the next start
// by the store's RecoverLeases (actions are idempotent, so a rerun is
// safe).
//
// # Leadership
//
// With several replicas on one store (etcd) only the leader runs jobs,
// the tick and the cron jobs added with AddFunc (Options.Leadership,
// ScheduleOptions.Leadership; nil is offboard.SoleReplica). When the lead
// is lost the running jobs are cancelled at once; a call that completes
// anyway reports a result the store refuses (offboard.ClaimLostError),
// and the next leader runs the job again. AddReplicaFunc's jobs run on
// every replica (their own memory: refusal counts, the directory).
//
// # Reconciliation
//
// A Reconciler compares an HR source (offboard.TerminationSource, today
// BambooHR) with an identity system (offboard.IdentityStatusSource, today
// Okta): anyone terminated but still active gets a case (or their open
// case is flagged), with the same dedupe key the webhook intake uses
// (offboard.HRDedupeKey), so a lost webhook is caught and a delivered one
// is not doubled. It only gathers; the engine's pure ReconcileTermination
// decides. It runs at start and hourly on the schedule.
//
// # Schedule
//
// Schedule is the only user of robfig/cron. It applies offboard.Tick on a
// spec (every minute by default) and once at Start, so work that came
// due while offboard was down runs at once. Every cron job is wrapped to
// recover panics and to skip a run while the previous one still runs; a
// recovered panic is recorded in the audit chain (ScheduleOptions.Audit).
//
// runner imports the root package, connectors, robfig/cron and the
// standard library. It never imports flows, store, bot, web or config: the
// engine arrives as offboard.CaseService, the outbox as the narrow
// offboard.JobQueue (claim, release, retry, dead-letter, settle; each its
// own transaction), chat as offboard.Notifier, HR sources and identity
// systems as the root capability interfaces.
package runner
