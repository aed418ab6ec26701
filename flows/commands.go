package flows

import "github.com/offboard-dev/offboard"

// The commands and their result live in the root package; these aliases
// keep the engine's old names until every user has moved.
type (
	Command         = offboard.Command
	OpenCase        = offboard.OpenCase
	CancelCase      = offboard.CancelCase
	StartTask       = offboard.StartTask
	RevokeNow       = offboard.RevokeNow
	CompleteTask    = offboard.CompleteTask
	SkipTask        = offboard.SkipTask
	RequestApproval = offboard.RequestApproval
	DecideApproval  = offboard.DecideApproval
	ActionSucceeded = offboard.ActionSucceeded
	ActionFailed    = offboard.ActionFailed
	RecordRoom      = offboard.RecordRoom
	Tick            = offboard.Tick
	Result          = offboard.Result
	CaseView        = offboard.CaseView
	Digest          = offboard.Digest
	DigestCase      = offboard.DigestCase
	DigestTask      = offboard.DigestTask
	DigestApproval  = offboard.DigestApproval
)
