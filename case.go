package offboard

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CaseID identifies a case: "OFF-0042".
type CaseID string

// CaseIDPrefix starts every case id the store allocates.
const CaseIDPrefix = "OFF-"

// FormatCaseID formats the n-th case id.
func FormatCaseID(n uint64) CaseID { return CaseID(fmt.Sprintf(CaseIDPrefix+"%04d", n)) }

// ParseCaseID accepts "OFF-0042", "off-42" and "42", and normalizes.
func ParseCaseID(s string) (CaseID, bool) {
	s = strings.TrimSpace(s)
	if len(s) > len(CaseIDPrefix) && strings.EqualFold(s[:len(CaseIDPrefix)], CaseIDPrefix) {
		s = s[len(CaseIDPrefix):]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	return FormatCaseID(n), true
}

// Number returns the number of an id spelled exactly as the store writes
// it, CaseIDPrefix and decimal digits. Unlike ParseCaseID it accepts no
// other spelling, so that ids stored some other way sort apart.
func (id CaseID) Number() (uint64, bool) {
	s, ok := strings.CutPrefix(string(id), CaseIDPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// Numbered reports whether id is CaseIDPrefix and decimal digits, of any
// length. It parses nothing, so sorting many ids can call it cheaply.
func (id CaseID) Numbered() bool {
	s, ok := strings.CutPrefix(string(id), CaseIDPrefix)
	if !ok || s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Short returns id without CaseIDPrefix ("0042"), or id as it is when it
// lacks the prefix.
func (id CaseID) Short() string { return strings.TrimPrefix(string(id), CaseIDPrefix) }

// DepartureKind is why the person leaves. It decides how fast access goes.
type DepartureKind string

// Departure kinds. Retirement and contract end are handled as voluntary.
const (
	Voluntary   DepartureKind = "voluntary"
	Involuntary DepartureKind = "involuntary"
	Retirement  DepartureKind = "retirement"
	ContractEnd DepartureKind = "contract_end"
)

// ParseDepartureKind accepts the kinds above, case-insensitively, with
// "-" or " " for "_".
func ParseDepartureKind(s string) (DepartureKind, error) {
	k := DepartureKind(strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(s))))
	switch k {
	case Voluntary, Involuntary, Retirement, ContractEnd:
		return k, nil
	}
	return "", Errorf(EINVALID, "unknown departure kind %q: use voluntary, involuntary, retirement or contract_end", s)
}

// Label names the kind for people: "Voluntary", "Contract end", ….
func (k DepartureKind) Label() string {
	switch k {
	case Voluntary:
		return "Voluntary"
	case Involuntary:
		return "Involuntary"
	case Retirement:
		return "Retirement"
	case ContractEnd:
		return "Contract end"
	case "":
		return "Unknown"
	}
	return string(k)
}

// Immediate reports whether access must go at once, without waiting for
// the last day or a click.
func (k DepartureKind) Immediate() bool { return k == Involuntary }

// CaseStatus is where a case stands.
type CaseStatus string

// Case statuses.
const (
	CaseOpen      CaseStatus = "open"
	CaseCompleted CaseStatus = "completed"
	CaseCancelled CaseStatus = "cancelled"
)

// Closed reports whether nothing more happens on the case.
func (s CaseStatus) Closed() bool { return s == CaseCompleted || s == CaseCancelled }

// ParseCaseStatus parses a status filter.
func ParseCaseStatus(s string) (CaseStatus, error) {
	switch st := CaseStatus(strings.ToLower(strings.TrimSpace(s))); st {
	case CaseOpen, CaseCompleted, CaseCancelled:
		return st, nil
	}
	return "", Errorf(EINVALID, "unknown case status %q: use open, completed or cancelled", s)
}

// Employee is the departing person, as HR or the HRIS describes them.
type Employee struct {
	HRISID       string `json:"hris_id,omitempty"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Title        string `json:"title,omitempty"`
	Department   string `json:"department,omitempty"`
	Location     string `json:"location,omitempty"`
	ManagerEmail string `json:"manager_email,omitempty"`
	// TimeZone is an IANA zone; empty means the company's.
	TimeZone string `json:"time_zone,omitempty"`
}

// FirstName is the first word of the name, or the email's local part.
func (e Employee) FirstName() string {
	if f := strings.Fields(e.Name); len(f) > 0 {
		return f[0]
	}
	local, _, _ := strings.Cut(e.Email, "@")
	return local
}

// DisplayName is the name, or the email when the name is unknown.
func (e Employee) DisplayName() string {
	if strings.TrimSpace(e.Name) != "" {
		return e.Name
	}
	return e.Email
}

// Case is one departure and everything that must happen for it.
type Case struct {
	ID           CaseID        `json:"id"`
	Employee     Employee      `json:"employee"`
	Kind         DepartureKind `json:"kind"`
	Confidential bool          `json:"confidential"`
	Playbook     string        `json:"playbook"`
	// LastDay is the last working day, "2006-01-02", in TimeZone.
	LastDay  string `json:"last_day"`
	TimeZone string `json:"time_zone"`
	// RevokeAt is when access goes: the end of the last day at the
	// configured revocation time, or the notice time for involuntary exits.
	RevokeAt time.Time `json:"revoke_at"`
	// The case clock. EffectiveAt is HR's effective termination time,
	// NoticeAt when the notice reached offboard, RevokedAt when every
	// revocation task was done and verified.
	EffectiveAt time.Time  `json:"effective_at,omitzero"`
	NoticeAt    time.Time  `json:"notice_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// Source is where the notice came from: "slack", "api", "hris:bamboohr", ….
	Source    string `json:"source"`
	SourceRef string `json:"source_ref,omitempty"`
	// Batch is the delivery the case came in with others (OpenCase.Batch).
	Batch     string     `json:"batch,omitempty"`
	Requester Actor      `json:"requester"`
	Notes     string     `json:"notes,omitempty"`
	Status    CaseStatus `json:"status"`
	// CancelReason is set when Status is cancelled.
	CancelReason string    `json:"cancel_reason,omitempty"`
	Rooms        []RoomRef `json:"rooms,omitempty"`
	// UserIDs are the employee's user ids by system ("okta" → "00u1…"),
	// recorded when a connector found them, so later actions carry them
	// (Target) instead of looking the person up again.
	UserIDs map[string]string `json:"user_ids,omitempty"`
	// Summary is kept by the engine for lists; nil on cases stored before
	// it existed.
	Summary   *CaseSummary `json:"summary,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	ClosedAt  *time.Time   `json:"closed_at,omitempty"`
	// ErasedAt is when the leaver's personal data was erased (erase.go);
	// the fields it held then read ErasedText(ErasedAt).
	ErasedAt *time.Time `json:"erased_at,omitempty"`
}

// Room returns the case's room on a platform.
func (c *Case) Room(platform string) (RoomRef, bool) {
	for _, r := range c.Rooms {
		if r.Platform == platform {
			return r, true
		}
	}
	return RoomRef{}, false
}

// ClockStart is when the case clock starts: the notice, or HR's
// effective termination time when that was earlier (a termination
// entered after it took effect).
func (c *Case) ClockStart() time.Time {
	if !c.EffectiveAt.IsZero() && c.EffectiveAt.Before(c.NoticeAt) {
		return c.EffectiveAt
	}
	return c.NoticeAt
}

// TimeToRevocation is clock start → revoked, the product's headline
// number.
func (c *Case) TimeToRevocation() (time.Duration, bool) {
	if c.RevokedAt == nil {
		return 0, false
	}
	return c.RevokedAt.Sub(c.ClockStart()), true
}
