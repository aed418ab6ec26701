package bamboohr

import (
	"context"
	"net/url"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/jsontext"
)

// People reads every current employee's work email, name and
// supervisor's email in one custom report, for escalations to go to an approver's
// own manager. BambooHR has no time zone field of its own, so time zones
// come from Okta. It only reads.
func (b *Client) People(ctx context.Context) ([]offboard.Person, error) {
	var body struct {
		Employees []map[string]any `json:"employees"`
	}
	q := url.Values{"format": {"JSON"}, "onlyCurrent": {"true"}}
	in := map[string]any{"fields": []string{"workEmail", "firstName", "lastName", "supervisorEmail"}}
	if err := b.do(ctx, "POST", "v1/reports/custom", q, in, "read the employee directory", &body); err != nil {
		return nil, err
	}
	out := make([]offboard.Person, 0, len(body.Employees))
	for _, e := range body.Employees {
		email := strings.TrimSpace(jsontext.Scalar(e["workEmail"]))
		if email == "" {
			continue
		}
		name := strings.TrimSpace(strings.TrimSpace(jsontext.Scalar(e["firstName"])) + " " + strings.TrimSpace(jsontext.Scalar(e["lastName"])))
		out = append(out, offboard.Person{Email: email, Name: name, ManagerEmail: strings.TrimSpace(jsontext.Scalar(e["supervisorEmail"]))})
	}
	return out, nil
}
