package jamffake

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

var computerSections = []string{"GENERAL", "DISK_ENCRYPTION", "PURCHASING", "APPLICATIONS", "STORAGE", "USER_AND_LOCATION",
	"CONFIGURATION_PROFILES", "PRINTERS", "SERVICES", "HARDWARE", "LOCAL_USER_ACCOUNTS", "CERTIFICATES", "ATTACHMENTS",
	"PLUGINS", "PACKAGE_RECEIPTS", "FONTS", "SECURITY", "OPERATING_SYSTEM", "LICENSED_SOFTWARE", "IBEACONS",
	"SOFTWARE_UPDATES", "EXTENSION_ATTRIBUTES", "CONTENT_CACHING", "GROUP_MEMBERSHIPS"}

var mobileSections = []string{"GENERAL", "HARDWARE", "USER_AND_LOCATION", "PURCHASING", "SECURITY", "APPLICATIONS",
	"EBOOKS", "NETWORK", "SERVICE_SUBSCRIPTIONS", "CERTIFICATES", "PROFILES", "USER_PROFILES", "PROVISIONING_PROFILES",
	"SHARED_USERS", "EXTENSION_ATTRIBUTES"}

// paging reads page and page-size (Jamf's defaults 0 and 100).
func paging(r *http.Request) (page, size int, ok bool) {
	page, size = 0, 100
	if v := r.URL.Query().Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		page = n
	}
	if v := r.URL.Query().Get("page-size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 2000 {
			return 0, 0, false
		}
		size = n
	}
	return page, size, true
}

func slice[T any](all []T, page, size int) []T {
	from := min(page*size, len(all))
	return all[from:min(from+size, len(all))]
}

func sections(r *http.Request, known []string) (map[string]bool, string) {
	out := map[string]bool{}
	for _, s := range r.URL.Query()["section"] {
		if !contains(known, s) {
			return nil, s
		}
		out[s] = true
	}
	if len(out) == 0 {
		out["GENERAL"] = true // Jamf's default section
	}
	return out, ""
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// listQuery reads an inventory list's sections, paging and RSQL filter
// (on fields only), answering Jamf's 400 for anything else; ok is false
// once it has answered.
func listQuery(w http.ResponseWriter, r *http.Request, known []string, fields ...string) (secs map[string]bool, page, size int, clauses []clause, ok bool) {
	secs, bad := sections(r, known)
	if bad != "" {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "section", "unknown section "+bad)
		return nil, 0, 0, nil, false
	}
	page, size, ok = paging(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "page-size", "bad paging")
		return nil, 0, 0, nil, false
	}
	if f := r.URL.Query().Get("filter"); f != "" {
		var err error
		if clauses, err = parseRSQL(f, fields...); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_FIELD", "filter", err.Error())
			return nil, 0, 0, nil, false
		}
	}
	return secs, page, size, clauses, true
}

// listComputers is GET /api/v1/computers-inventory.
func (s *Server) listComputers(w http.ResponseWriter, r *http.Request) {
	secs, page, size, clauses, ok := listQuery(w, r, computerSections,
		"userAndLocation.email", "userAndLocation.username", "hardware.serialNumber", "general.name")
	if !ok {
		return
	}
	s.mu.Lock()
	var match []map[string]any
	for _, c := range s.computers {
		if !matchAll(clauses, map[string]string{"userAndLocation.email": c.Email, "userAndLocation.username": c.Username,
			"hardware.serialNumber": c.Serial, "general.name": c.Name}) {
			continue
		}
		match = append(match, computerJSON(c, secs))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"totalCount": len(match), "results": nonNil(slice(match, page, size))})
}

func computerJSON(c Computer, secs map[string]bool) map[string]any {
	m := map[string]any{"id": c.ID, "udid": "udid-" + c.ID}
	if secs["GENERAL"] {
		m["general"] = map[string]any{"name": c.Name, "managementId": c.ManagementID, "lastContactTime": ts(c.LastContact),
			"reportDate": ts(c.LastContact), "platform": "Mac", "remoteManagement": map[string]any{"managed": true}}
	}
	if secs["HARDWARE"] {
		m["hardware"] = map[string]any{"model": c.Model, "serialNumber": c.Serial, "make": "Apple"}
	}
	if secs["USER_AND_LOCATION"] {
		m["userAndLocation"] = map[string]any{"username": c.Username, "email": c.Email}
	}
	if secs["DISK_ENCRYPTION"] {
		d := map[string]any{}
		if c.FileVault != "" {
			d["bootPartitionEncryptionDetails"] = map[string]any{"partitionName": "Macintosh HD", "partitionFileVault2State": c.FileVault}
		}
		m["diskEncryption"] = d
	}
	if secs["OPERATING_SYSTEM"] {
		m["operatingSystem"] = map[string]any{"name": "macOS", "version": c.OSVersion}
	}
	if secs["PURCHASING"] {
		m["purchasing"] = map[string]any{"purchasePrice": c.PurchasePrice, "purchased": true}
	}
	return m
}

// listMobiles is GET /api/v2/mobile-devices/detail.
func (s *Server) listMobiles(w http.ResponseWriter, r *http.Request) {
	secs, page, size, clauses, ok := listQuery(w, r, mobileSections,
		"userAndLocation.emailAddress", "userAndLocation.username", "serialNumber", "displayName")
	if !ok {
		return
	}
	s.mu.Lock()
	var match []map[string]any
	for _, m := range s.mobiles {
		if !matchAll(clauses, map[string]string{"userAndLocation.emailAddress": m.Email, "userAndLocation.username": m.Username,
			"serialNumber": m.Serial, "displayName": m.Name}) {
			continue
		}
		d := map[string]any{"mobileDeviceId": m.ID, "deviceType": "iOS"}
		if secs["GENERAL"] {
			d["general"] = map[string]any{"displayName": m.Name, "managementId": m.ManagementID, "osVersion": m.OSVersion,
				"lastInventoryUpdateDate": ts(m.LastInventory)}
		}
		if secs["HARDWARE"] {
			d["hardware"] = map[string]any{"model": m.Model, "serialNumber": m.Serial}
		}
		if secs["USER_AND_LOCATION"] {
			d["userAndLocation"] = map[string]any{"username": m.Username, "emailAddress": m.Email}
		}
		if secs["PURCHASING"] {
			d["purchasing"] = map[string]any{"purchasePrice": m.PurchasePrice}
		}
		match = append(match, d)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"totalCount": len(match), "results": nonNil(slice(match, page, size))})
}

func matchAll(clauses []clause, fields map[string]string) bool {
	for _, c := range clauses {
		if !strings.EqualFold(fields[c.field], c.value) {
			return false
		}
	}
	return true
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
