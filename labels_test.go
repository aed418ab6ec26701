package offboard_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestEvidenceLabel(t *testing.T) {
	for key, want := range map[string]string{
		"status_after":    "Status afterwards",
		"okta_request_id": "Okta request id",
		"found_by":        "Found by",
		"x":               "X",
	} {
		if got := offboard.EvidenceLabel(key); got != want {
			t.Errorf("EvidenceLabel(%q) = %q, want %q", key, got, want)
		}
	}
	for key, want := range map[string]bool{"okta_request_id": true, "request_id": true, "requested_by": false, "job": false} {
		if got := offboard.IsRequestID(key); got != want {
			t.Errorf("IsRequestID(%q) = %v", key, got)
		}
	}
}

func TestStatus_Label(t *testing.T) {
	for st, want := range map[offboard.TaskStatus]string{offboard.TaskWaitingApproval: "Waiting for approval", offboard.TaskPending: "To do", "new_state": "New state"} {
		if got := st.Label(); got != want {
			t.Errorf("%q.Label() = %q, want %q", st, got, want)
		}
	}
	if got := offboard.CaseCancelled.Label(); got != "Cancelled" {
		t.Errorf("CaseCancelled.Label() = %q", got)
	}
	if got := offboard.ApprovalPending.Label(); got != "Waiting for a decision" {
		t.Errorf("ApprovalPending.Label() = %q", got)
	}
}
