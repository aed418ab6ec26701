package config

import (
	"slices"

	"github.com/offboard-dev/offboard"
)

// Evidence configures the evidence pack (offboard evidence).
type Evidence struct {
	// SLA is how soon access must go, per departure kind: a duration
	// from the clock start ("1h") or "end_of_last_day". Kinds left out
	// follow voluntary (involuntary: 1h).
	SLA map[string]string `yaml:"sla" json:"sla"`
}

// slaKinds are the keys evidence.sla accepts, as spelled in the file.
var slaKinds = []offboard.DepartureKind{offboard.Voluntary, offboard.Involuntary, offboard.Retirement, offboard.ContractEnd}

// SLAPolicy is evidence.sla over the defaults. Call it on a validated
// config; a bad entry is left at its default.
func (e Evidence) SLAPolicy() offboard.SLAPolicy {
	p := offboard.DefaultSLAPolicy()
	for k, v := range e.SLA {
		if r, err := offboard.ParseSLARule(v); err == nil {
			p[offboard.DepartureKind(k)] = r
		}
	}
	return p
}

// validateEvidence names each evidence.sla key that is no departure kind
// and each value that is no rule.
func (c *Config) validateEvidence(v *validator) {
	for k, val := range c.Evidence.SLA {
		path := "evidence.sla." + k
		if !slices.Contains(slaKinds, offboard.DepartureKind(k)) {
			v.add(path, "unknown departure kind: use voluntary, involuntary, retirement or contract_end")
			continue
		}
		if _, err := offboard.ParseSLARule(val); err != nil {
			v.add(path, "%v", err)
		}
	}
}
