package offboard

// CheckStatus is the outcome of one live check of an integration.
type CheckStatus string

// Check outcomes. Only CheckFail makes `offboard doctor` exit non-zero:
// a warning is worth reading but does not stop offboarding.
const (
	CheckOK   CheckStatus = "ok"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
	CheckSkip CheckStatus = "skip" // not configured
)

// CheckResult is one line of `offboard doctor`: what was checked, how it
// went, and for a failure what the admin should do about it. Detail and
// Fix are shown to people and logged, so they never hold a secret or a
// raw upstream body.
type CheckResult struct {
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail"`
	Fix    string      `json:"fix,omitempty"`
}

// CheckOf is a passed check.
func CheckOf(name, detail string) CheckResult {
	return CheckResult{Name: name, Status: CheckOK, Detail: detail}
}

// CheckFailed is a failed check with its fix.
func CheckFailed(name, detail, fix string) CheckResult {
	return CheckResult{Name: name, Status: CheckFail, Detail: detail, Fix: fix}
}
