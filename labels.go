package offboard

import "strings"

// Label names the case status for people: "Open", "Completed", "Cancelled".
func (s CaseStatus) Label() string {
	switch s {
	case CaseOpen:
		return "Open"
	case CaseCompleted:
		return "Completed"
	case CaseCancelled:
		return "Cancelled"
	}
	return humanKey(string(s))
}

// evidenceWords are the evidence keys whose words are not just the key
// with spaces: vendor names and abbreviations.
var evidenceWords = map[string]string{
	"okta_request_id":     "Okta request id",
	"graph_request_id":    "Microsoft Graph request id",
	"google_request_id":   "Google request id",
	"jamf_request_id":     "Jamf request id",
	"request_id":          "Request id",
	"status_after":        "Status afterwards",
	"mfa_factors":         "MFA factors",
	"status_before":       "Status before",
	"okta_user_id":        "Okta user id",
	"monthly_seat_cost":   "Monthly seat cost",
	"user_principal_name": "User principal name",
	"id":                  "Id",
}

// EvidenceLabel names an evidence key for people: "status_after" reads
// "Status afterwards", "okta_request_id" "Okta request id".
func EvidenceLabel(key string) string {
	if w, ok := evidenceWords[key]; ok {
		return w
	}
	return humanKey(key)
}

// IsRequestID reports whether an evidence key is a vendor's request id:
// a detail for whoever asks the vendor, not what a reader needs first.
func IsRequestID(key string) bool {
	return key == "request_id" || strings.HasSuffix(key, "_request_id")
}

// humanKey turns a snake_case key into words with a capital first letter;
// a dotted one ("device.d1") reads "Device d1".
func humanKey(k string) string {
	w := strings.NewReplacer("_", " ", ".", " ").Replace(k)
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// Label names the task status for people, as a card's badge starts.
func (s TaskStatus) Label() string {
	switch s {
	case TaskPending:
		return "To do"
	case TaskScheduled:
		return "Scheduled"
	case TaskWaitingApproval:
		return "Waiting for approval"
	case TaskRunning:
		return "Running"
	case TaskDone:
		return "Done"
	case TaskUnverified:
		return "Unverified"
	case TaskFailed:
		return "Failed"
	case TaskSkipped:
		return "Skipped"
	}
	return humanKey(string(s))
}

// Label names the approval status for people.
func (s ApprovalStatus) Label() string {
	switch s {
	case ApprovalPending:
		return "Waiting for a decision"
	case ApprovalApproved:
		return "Approved"
	case ApprovalDenied:
		return "Denied"
	case ApprovalVoid:
		return "Void (no longer applies)"
	}
	return humanKey(string(s))
}
