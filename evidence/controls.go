package evidence

// Control is one control a record evidences. Title is the control's own
// title as a source states it, or "" when no source confirmed one; the
// pack then says "title not confirmed" rather than guess. Only titles are
// quoted, never a control's body.
type Control struct {
	ID        string
	Framework string
	Title     string
	// Source names where the title was checked.
	Source string
	// Evidences says which part of a record evidences the control.
	Evidences string
	// Note says why no title is quoted, when none is.
	Note string
}

// TitleNotConfirmed is shown for a control whose title no source confirmed.
const TitleNotConfirmed = "title not confirmed"

// Controls is the mapping, as data. Each title was checked against a
// public page quoting the standard (named in Source); where the standard
// gives a numbered statement and no title, no title is made up.
var Controls = []Control{
	{
		// SOC 2 Trust Services Criteria (AICPA, 2017, revised points of
		// focus 2022): criteria are unnamed statements; a control catalog
		// (cloudaware.com, SOC 2 framework, CC6.2) lists CC6.2 under the
		// series "CC6 Logical and Physical Access Controls".
		ID: "CC6.2", Framework: "SOC 2 (AICPA Trust Services Criteria)",
		Source:    "AICPA TSC as listed by a SOC 2 control catalog (series CC6 Logical and Physical Access Controls)",
		Evidences: "credentials removed when access is no longer authorized: every system's revocation, who or what did it, when, and the read-back",
		Note:      "SOC 2 criteria have no titles; series: CC6 Logical and Physical Access Controls",
	},
	{
		// Same source as CC6.2; the criterion's point of focus on removing
		// access is "Removes Access to Protected Information Assets".
		ID: "CC6.3", Framework: "SOC 2 (AICPA Trust Services Criteria)",
		Source:    "AICPA TSC as listed by a SOC 2 control catalog (series CC6 Logical and Physical Access Controls)",
		Evidences: "access removed on a role's end: revocations, approvals and their decisions, exceptions",
		Note:      "SOC 2 criteria have no titles; series: CC6 Logical and Physical Access Controls",
	},
	{
		// ISO/IEC 27001:2022 Annex A 5.11, title as given by isms.online,
		// hicomply.com and cyberday.ai Annex A pages.
		ID: "A.5.11", Framework: "ISO/IEC 27001:2022 Annex A", Title: "Return of assets",
		Source:    "ISO/IEC 27001:2022 Annex A, as listed by Annex A guides (isms.online, hicomply.com)",
		Evidences: "devices: lock, wipe and device return",
	},
	{
		// ISO/IEC 27001:2022 Annex A 5.18, title as given by isms.online
		// and urmconsulting.com.
		ID: "A.5.18", Framework: "ISO/IEC 27001:2022 Annex A", Title: "Access rights",
		Source:    "ISO/IEC 27001:2022 Annex A, as listed by Annex A guides (isms.online, urmconsulting.com)",
		Evidences: "access rights removed: every system's revocation and its read-back; approvals",
	},
	{
		// ISO/IEC 27001:2022 Annex A 6.5, title as given by isms.online.
		ID: "A.6.5", Framework: "ISO/IEC 27001:2022 Annex A", Title: "Responsibilities after termination or change of employment",
		Source:    "ISO/IEC 27001:2022 Annex A, as listed by an Annex A guide (isms.online)",
		Evidences: "the departure as HR recorded it (effective and notice times) and the steps done on it, manual ones included",
	},
	{
		// PCI DSS v4.0 requirement 8.2.5: the standard numbers one-line
		// requirements without titles (checked on withpci.com and a
		// cloudaware.com PCI DSS v4.0 catalog).
		ID: "8.2.5", Framework: "PCI DSS v4.0",
		Source:    "PCI DSS v4.0, as listed by requirement catalogs (withpci.com, cloudaware.com)",
		Evidences: "time to revocation against the SLA, per system",
		Note:      "PCI DSS requirements are numbered statements with no title",
	},
	{
		// 45 CFR 164.308(a)(3)(ii)(C), implementation specification title
		// as the regulation's text gives it (quoted by clearwatercompliance.com
		// and compliancewiki.org): "Termination procedures" (Addressable),
		// under the standard 164.308(a)(3)(i).
		ID: "164.308(a)(3)(ii)(C)", Framework: "HIPAA Security Rule (45 CFR)", Title: "Termination procedures",
		Source:    "45 CFR 164.308(a)(3)(ii)(C), as quoted by HIPAA guides (clearwatercompliance.com, compliancewiki.org)",
		Evidences: "access to systems terminated when employment ends: revocations, time to revocation, exceptions",
	},
}

// TitleOrNote is the title to show.
func (c Control) TitleOrNote() string {
	if c.Title != "" {
		return c.Title
	}
	return TitleNotConfirmed
}

// controlsFor lists the controls a record evidences: device controls only
// when the case had devices, the rest for every leaver.
func controlsFor(r *Record) []Control {
	var out []Control
	for _, c := range Controls {
		if c.ID == "A.5.11" && len(r.Devices) == 0 {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Evidences reports whether the record evidences the control id.
func (r *Record) Evidences(id string) bool {
	for _, c := range r.Controls {
		if c.ID == id {
			return true
		}
	}
	return false
}
