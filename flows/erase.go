package flows

import (
	"fmt"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// eraseCase erases a closed case's personal data once the retention after
// closing has passed (see offboard.EraseCase and store's ErasePersonal).
// A case erased already answers Duplicate and audits nothing more, so the
// scheduler and an admin may both ask.
func (d *decision) eraseCase(c offboard.EraseCase) (*offboard.Result, error) {
	if !offboard.CanErase(d.actor) {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only an admin may erase a case's personal data")
	}
	cs, err := d.loadCase(c.CaseID)
	if err != nil {
		return nil, err
	}
	if cs.ErasedAt != nil {
		res, err := d.result(cs, fmt.Sprintf("%s: personal data was %s already", cs.ID, offboard.ErasedText(*cs.ErasedAt)))
		if err != nil {
			return nil, err
		}
		res.Duplicate = true
		return res, nil
	}
	reason := strings.TrimSpace(c.Reason)
	if d.actor.Kind != offboard.ActorSystem && reason == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "give a reason for erasing the personal data of %s", cs.ID)
	}
	due, err := ErasureDue(cs, d.e.retention)
	if err != nil {
		return nil, err
	}
	if d.now.Before(due) {
		return nil, offboard.Errorf(offboard.EINVALID, "%s: personal data is kept until %s (retention.personal_data %s after the case closed on %s); it is not erased before",
			cs.ID, due.Format("2006-01-02"), offboard.Duration(d.e.retention), cs.ClosedAt.UTC().Format("2006-01-02"))
	}
	// The reason goes into the chain in plaintext once the key is gone,
	// so the leaver's name or email in it is taken out first.
	for _, s := range offboard.PersonalStrings(cs.Employee) {
		reason = offboard.ReplaceFold(reason, s, offboard.ErasedMark)
	}
	er, err := d.tx.ErasePersonal(cs.ID, d.now)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		reason = "retention passed"
	}
	if err := d.audit(cs.ID, "case.erased", "", offboard.OutcomeOK,
		fmt.Sprintf("personal data of the leaver erased: %s", reason),
		map[string]string{
			"closed_at": cs.ClosedAt.UTC().Format(time.RFC3339), "retention": offboard.Duration(d.e.retention).String(),
			"records_rewritten": fmt.Sprint(er.Records), "entries_removed": fmt.Sprint(er.Removed),
			"values_shredded": fmt.Sprint(er.Tokens),
		}); err != nil {
		return nil, err
	}
	erased, err := d.tx.Case(cs.ID)
	if err != nil {
		return nil, err
	}
	res, err := d.result(erased, fmt.Sprintf("%s: personal data erased (%d records rewritten, %d values shredded); the old bytes leave the file when it is compacted",
		cs.ID, er.Records, er.Tokens))
	if err != nil {
		return nil, err
	}
	res.Erasure = &er
	return res, nil
}

// ErasureDue is when a case's personal data may be erased: retention
// after it closed. An open case, or retention off (zero), is refused.
func ErasureDue(cs *offboard.Case, retention time.Duration) (time.Time, error) {
	if retention <= 0 {
		return time.Time{}, offboard.Errorf(offboard.EINVALID, "retention.personal_data is off: personal data is kept, and %s is not erased", cs.ID)
	}
	if cs.ClosedAt == nil {
		return time.Time{}, offboard.Errorf(offboard.EINVALID, "%s is %s: only a closed case's personal data is erased", cs.ID, cs.Status)
	}
	return cs.ClosedAt.Add(retention), nil
}
