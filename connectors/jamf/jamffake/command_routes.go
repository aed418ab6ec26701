package jamffake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// postCommand is POST /api/v2/mdm/commands. The privilege depends on the
// command and the kind of device, so it is checked here.
func (s *Server) postCommand(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ClientData []struct {
			ManagementID string `json:"managementId"`
		} `json:"clientData"`
		CommandData struct {
			CommandType string `json:"commandType"`
			PIN         string `json:"pin"`
			Message     string `json:"message"`
		} `json:"commandData"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "", "cannot read the body: "+err.Error())
		return
	}
	typ := body.CommandData.CommandType
	if typ != "DEVICE_LOCK" && typ != "ERASE_DEVICE" {
		// Jamf knows many more; the fake only the two offboard sends.
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "commandData.commandType", "the fake does not support "+typ)
		return
	}
	if len(body.ClientData) == 0 {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "clientData", "clientData must not be empty")
		return
	}
	pin := body.CommandData.PIN
	if pin != "" && (len(pin) != 6 || strings.Trim(pin, "0123456789") != "") {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "commandData.pin", "pin must be 6 digits")
		return
	}
	type target struct{ mid, clientType string }
	var targets []target
	for _, cd := range body.ClientData {
		kind := s.kindOf(cd.ManagementID)
		if kind == "" {
			writeError(w, http.StatusBadRequest, "INVALID_FIELD", "clientData.managementId", "unknown management id "+cd.ManagementID)
			return
		}
		priv := map[string]string{"COMPUTER/DEVICE_LOCK": PrivComputerLock, "COMPUTER/ERASE_DEVICE": PrivComputerWipe,
			"MOBILE_DEVICE/DEVICE_LOCK": PrivMobileLock, "MOBILE_DEVICE/ERASE_DEVICE": PrivMobileWipe}[kind+"/"+typ]
		if !s.holds(priv) {
			writeError(w, http.StatusForbidden, "FORBIDDEN", "", "Forbidden")
			return
		}
		if kind == "COMPUTER" && pin == "" {
			if typ == "DEVICE_LOCK" {
				writeError(w, http.StatusBadRequest, "INVALID_FIELD", "commandData.pin", "pin is required to lock a computer")
				return
			}
			// Integrators report Jamf answering 500 to an erase of a Mac
			// without a PIN; the fake does the same.
			writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "", "erase without pin")
			return
		}
		targets = append(targets, target{cd.ManagementID, kind})
	}
	s.mu.Lock()
	var out []map[string]string
	for _, t := range targets {
		s.seq++
		id := fmt.Sprintf("5e1d0000-0000-4000-8000-%012d", s.seq)
		c := Command{UUID: id, ManagementID: t.mid, ClientType: t.clientType, Type: typ,
			State: "PENDING", PIN: pin, Message: body.CommandData.Message, DateSent: s.now().UTC()}
		if s.failOnSend[t.mid] == typ {
			c.State, c.DateCompleted = "ERROR", c.DateSent
			delete(s.failOnSend, t.mid)
		}
		s.commands = append(s.commands, c)
		out = append(out, map[string]string{"id": id, "href": "/api/v2/mdm/commands/" + id})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) kindOf(mid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.computers {
		if c.ManagementID == mid {
			return "COMPUTER"
		}
	}
	for _, m := range s.mobiles {
		if m.ManagementID == mid {
			return "MOBILE_DEVICE"
		}
	}
	return ""
}

// listCommands is GET /api/v2/mdm/commands: Jamf requires a filter, and
// the fake supports clientManagementId, command and status with ==; sort
// dateSent:asc (Jamf's default) or dateSent:desc. The answer never shows a
// command's PIN (Jamf's documented fields do not include commandData).
func (s *Server) listCommands(w http.ResponseWriter, r *http.Request) {
	f := r.URL.Query().Get("filter")
	if f == "" {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "filter", "filter is required")
		return
	}
	clauses, err := parseRSQL(f, "clientManagementId", "command", "status", "uuid")
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "filter", err.Error())
		return
	}
	page, size, ok := paging(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "page-size", "bad paging")
		return
	}
	desc := false
	switch r.URL.Query().Get("sort") {
	case "", "dateSent:asc":
	case "dateSent:desc":
		desc = true
	default:
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", "sort", "the fake sorts only by dateSent")
		return
	}
	s.mu.Lock()
	var match []Command
	for _, c := range s.commands {
		// Jamf's filter spells status as Pending/Acknowledged/Error.
		if matchAll(clauses, map[string]string{"clientManagementId": c.ManagementID, "command": c.Type,
			"status": c.State, "uuid": c.UUID}) {
			match = append(match, c)
		}
	}
	s.mu.Unlock()
	if desc {
		slices.Reverse(match)
	}
	var out []map[string]any
	for _, c := range slice(match, page, size) {
		out = append(out, map[string]any{"uuid": c.UUID, "client": map[string]string{"managementId": c.ManagementID, "clientType": c.ClientType},
			"commandState": c.State, "commandType": c.Type, "dateSent": ts(c.DateSent), "dateCompleted": ts(c.DateCompleted)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"totalCount": len(match), "results": nonNil(out)})
}
