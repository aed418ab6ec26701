package config

// validateRetention checks retention.personal_data: off (zero), or long
// enough that no case is erased while its exit can still be disputed.
func validateRetention(v *validator, r Retention) {
	switch {
	case r.PersonalData < 0:
		v.add("retention.personal_data", "must not be negative, got %s; 0 (or unset) keeps personal data", r.PersonalData)
	case r.PersonalData > 0 && r.PersonalData.D() < MinPersonalDataRetention:
		v.add("retention.personal_data", "must be at least 30d after a case closes, got %s (e.g. 2190d for six years)", r.PersonalData)
	}
}
