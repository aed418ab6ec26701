package bamboohr

import (
	"context"
	"strings"

	"github.com/offboard-dev/offboard"
)

// The client is the HR source reconciliation, the webhooks and the
// directory read.
var _ offboard.HRSource = (*Client)(nil)

// System names BambooHR in case sources, dedupe keys and wording.
var System = offboard.HRSystem{Name: "bamboohr", Label: "BambooHR"}

// HRSystem names BambooHR.
func (b *Client) HRSystem() offboard.HRSystem { return System }

// HRRecord reads employee id's current fields. An employee BambooHR does
// not have (404) is ENOTFOUND; a refused key EFORBIDDEN; 429 a
// *offboard.RateLimitError; 5xx and network errors are plain
// (retryable).
func (b *Client) HRRecord(ctx context.Context, id string) (offboard.HRRecord, error) {
	f, err := b.employee(ctx, id)
	if err != nil {
		return offboard.HRRecord{}, err
	}
	return offboard.HRRecord{
		Employee: offboard.Employee{
			HRISID: id, Email: f["workEmail"], Name: strings.TrimSpace(f["firstName"] + " " + f["lastName"]),
			ManagerEmail: f["supervisorEmail"], Title: f["jobTitle"], Department: f["department"], Location: f["location"],
		},
		Status: f["status"], EmploymentStatus: f["employmentHistoryStatus"],
		TerminationDate: f["terminationDate"], TerminationType: f["terminationType"],
	}, nil
}

// emptyDate reports a BambooHR date that means "none".
func emptyDate(s string) bool { return s == "" || s == "0000-00-00" }
