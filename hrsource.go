package offboard

import (
	"context"
	"errors"
	"strings"
	"time"
)

// HRSystem names an HR source: Name goes into case sources and dedupe
// keys ("bamboohr"), Label into what people read ("BambooHR").
type HRSystem struct {
	Name, Label string
}

// Termination is one terminated employee as an HR source reports it.
type Termination struct {
	EmployeeID   string
	Email        string
	Name         string
	ManagerEmail string
	// TerminationDate is "2006-01-02", or "" when the HR source has none.
	TerminationDate string
	Kind            DepartureKind
	// KindMapped is false when the termination type was missing or not
	// mapped (Kind is then voluntary).
	KindMapped bool
	// Type is the HR source's termination type as sent.
	Type string
}

// HRRecord is one employee as an HR source holds them now. The status
// fields are the source's own words, as sent (trimmed).
type HRRecord struct {
	Employee
	// Status is the account's status ("Active", "Inactive").
	Status string
	// EmploymentStatus is the employment's status ("Full-Time",
	// "Terminated").
	EmploymentStatus string
	// TerminationDate and TerminationType are as sent; "" when none.
	TerminationDate, TerminationType string
}

// TerminationSource is the HR-source capability reconciliation reads:
// the employees terminated since a time.
type TerminationSource interface {
	HRSystem() HRSystem
	Terminated(ctx context.Context, since time.Time) ([]Termination, error)
}

// HRRecordReader reads one employee by the HR source's id: the webhooks
// that name an employee but carry no values use it. An employee the
// source does not have is ENOTFOUND.
type HRRecordReader interface {
	HRRecord(ctx context.Context, id string) (HRRecord, error)
}

// HRSource is the whole HR-source capability: terminations since a time,
// one employee by id, and every current employee for the directory.
type HRSource interface {
	TerminationSource
	HRRecordReader
	DirectorySource
}

// HRDedupeKey is the dedupe key of a termination an HR source reports,
// however it arrives: a webhook and a reconciliation run that find the
// same termination must open one case, so both make the key here.
// employee is the source's id for the employee (the email, for a source
// that has none); date is the termination date, or today when the
// source has none.
func HRDedupeKey(source, employee, date string) string {
	return source + ":" + employee + ":" + date
}

// ParseHRDate accepts "2006-01-02" or an RFC 3339 time (its own date).
// 0001-01-01 is not a date but a placeholder: as a time it is the zero
// time, which reads as "no effective time" and so escaped the engine's
// lookback check, while the past day became today.
func ParseHRDate(s string) (day string, at time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil && !t.IsZero() {
		return s, t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil && !t.IsZero() {
		return t.Format(time.DateOnly), t, true
	}
	return "", time.Time{}, false
}

// TerminationTypes maps an HR system's termination types to departure
// kinds. The webhook intake and the HR API client both resolve kinds
// with it, so one termination gets one kind however it arrives.
type TerminationTypes struct {
	types map[string]DepartureKind // by normalized type
}

// NewTerminationTypes checks each kind of types (type name → kind).
func NewTerminationTypes(types map[string]DepartureKind) (*TerminationTypes, error) {
	t := &TerminationTypes{types: make(map[string]DepartureKind, len(types))}
	for name, k := range types {
		kind, err := ParseDepartureKind(string(k))
		if err != nil {
			return nil, errors.New("termination_types[" + name + "]: " + err.Error())
		}
		t.types[normType(name)] = kind
	}
	return t, nil
}

func normType(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// Resolve maps a termination type to a departure kind: a departure kind
// itself, an exact configured type, or the configured types named as
// whole words in it, when they agree. Anything else is voluntary and
// known=false, so that HR is asked to confirm.
func (t *TerminationTypes) Resolve(typ string) (kind DepartureKind, known bool) {
	n := normType(typ)
	if n == "" {
		return Voluntary, false
	}
	if k, err := ParseDepartureKind(n); err == nil {
		return k, true
	}
	if k, ok := t.types[n]; ok {
		return k, true
	}
	words := " " + strings.Join(strings.FieldsFunc(n, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}), " ") + " "
	var found DepartureKind
	for name, k := range t.types {
		if !strings.Contains(words, " "+name+" ") {
			continue
		}
		if found != "" && found != k {
			return Voluntary, false
		}
		found = k
	}
	if found != "" {
		return found, true
	}
	return Voluntary, false
}
