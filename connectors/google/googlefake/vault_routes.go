package googlefake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const scopeVault = "https://www.googleapis.com/auth/ediscovery"

// VaultMatter is a Google Vault matter of the fake, as tests see it.
type VaultMatter struct {
	ID          string
	Name        string
	Description string
	// State is OPEN, CLOSED or DELETED.
	State string
	// Owner is the id of the user who created the matter; only they see
	// it (Vault lists the matters the caller has access to).
	Owner string
	Holds []VaultHold
}

// VaultHold is a hold in a matter.
type VaultHold struct {
	ID     string
	Name   string
	Corpus string
	// Accounts are the held users' Directory ids.
	Accounts []string
	// IncludeSharedDrives is the Drive query's includeSharedDriveFiles.
	IncludeSharedDrives bool
	UpdateTime          time.Time
}

// vaultState is the fake's Vault: matters in creation order.
type vaultState struct {
	matters []*VaultMatter
	nextID  int
}

// vaultCorpora are the corpus values of Hold.corpus that Google's
// reference lists (CORPUS_TYPE_UNSPECIFIED is refused).
var vaultCorpora = []string{"DRIVE", "MAIL", "GROUPS", "HANGOUTS_CHAT", "VOICE", "CALENDAR", "GEMINI", "GEMINI_IN_WORKSPACE"}

// vaultMaxPage is the default and largest pageSize of matters.list and
// holds.list (Google's reference: "Default and maximum are 100").
const vaultMaxPage = 100

func (s *Server) vaultLocked() *vaultState {
	v, _ := s.ext["vault"].(*vaultState)
	if v == nil {
		v = &vaultState{}
		s.ext["vault"] = v
	}
	return v
}

// AddMatter adds a matter owned by owner (an email or id; "" leaves it
// owned by nobody, so no one lists it) and returns its id.
func (s *Server) AddMatter(m VaultMatter, owner string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vaultLocked()
	v.nextID++
	m.ID = fmt.Sprintf("m-%04d-fake", v.nextID)
	if m.State == "" {
		m.State = "OPEN"
	}
	if u := s.findLocked(owner, true); u != nil {
		m.Owner = u.ID
	}
	m.Holds = slices.Clone(m.Holds)
	v.matters = append(v.matters, &m)
	return m.ID
}

// Matters are copies of every matter of the fake.
func (s *Server) Matters() []VaultMatter {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []VaultMatter
	for _, m := range s.vaultLocked().matters {
		c := *m
		c.Holds = nil
		for _, h := range m.Holds {
			h.Accounts = slices.Clone(h.Accounts)
			c.Holds = append(c.Holds, h)
		}
		out = append(out, c)
	}
	return out
}

// vaultError writes the error shape of Vault, a newer Google API: code,
// message and status, without the Admin SDK's errors[] list.
func vaultError(w http.ResponseWriter, code int, status, message string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": message, "status": status}})
}

// vaultAccess answers Vault's refusal for a caller without a Vault
// license or role. Google's docs say the account "must have the required
// Vault privileges"; the exact message is a guess.
func vaultAccess(w http.ResponseWriter, actor *User) bool {
	if !actor.IsAdmin || actor.VaultDenied {
		vaultError(w, http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission")
		return false
	}
	return true
}

// matterOr404 finds the path's {matterId} among the matters the actor
// can see (Vault answers 404 for one it cannot, as for none — a guess).
func (s *Server) matterOr404(w http.ResponseWriter, r *http.Request, actor *User) *VaultMatter {
	id := r.PathValue("matterId")
	for _, m := range s.vaultLocked().matters {
		if m.ID == id && m.Owner == actor.ID && m.State != "DELETED" {
			return m
		}
	}
	vaultError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.")
	return nil
}

func holdOr404(w http.ResponseWriter, r *http.Request, m *VaultMatter) *VaultHold {
	id := r.PathValue("holdId")
	for i := range m.Holds {
		if m.Holds[i].ID == id {
			return &m.Holds[i]
		}
	}
	vaultError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.")
	return nil
}

func matterJSON(m *VaultMatter, full bool) map[string]any {
	out := map[string]any{"matterId": m.ID, "name": m.Name, "state": m.State}
	if m.Description != "" {
		out["description"] = m.Description
	}
	if full && m.Owner != "" {
		out["matterPermissions"] = []map[string]string{{"accountId": m.Owner, "role": "OWNER"}}
	}
	return out
}

func (s *Server) heldAccountJSON(id string, held time.Time) map[string]any {
	out := map[string]any{"accountId": id, "holdTime": held.UTC().Format(time.RFC3339Nano)}
	if u := s.users[id]; u != nil {
		out["email"], out["firstName"], out["lastName"] = u.PrimaryEmail, u.GivenName, u.FamilyName
	}
	return out
}

func (s *Server) holdJSON(h *VaultHold, full bool) map[string]any {
	out := map[string]any{"holdId": h.ID, "name": h.Name, "corpus": h.Corpus, "updateTime": h.UpdateTime.UTC().Format(time.RFC3339Nano)}
	switch h.Corpus {
	case "DRIVE":
		out["query"] = map[string]any{"driveQuery": map[string]bool{"includeSharedDriveFiles": h.IncludeSharedDrives}}
	case "MAIL":
		out["query"] = map[string]any{"mailQuery": map[string]any{}}
	}
	if full {
		accounts := []map[string]any{}
		for _, a := range h.Accounts {
			accounts = append(accounts, s.heldAccountJSON(a, h.UpdateTime))
		}
		out["accounts"] = accounts
	}
	return out
}

// vaultPage is one page of a Vault list: pageSize (0 is the maximum)
// and the opaque pageToken the previous page gave (here an offset).
func vaultPage(w http.ResponseWriter, r *http.Request, n int) (start, end int, next string, ok bool) {
	size := vaultMaxPage
	if v := r.URL.Query().Get("pageSize"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 {
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value for pageSize.")
			return 0, 0, "", false
		}
		if p > 0 && p < size {
			size = p
		}
	}
	if t := r.URL.Query().Get("pageToken"); t != "" {
		off, err := strconv.Atoi(strings.TrimPrefix(t, "off-"))
		if err != nil || !strings.HasPrefix(t, "off-") || off < 0 || off > n {
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid page token.")
			return 0, 0, "", false
		}
		start = off
	}
	end = min(start+size, n)
	if end < n {
		next = "off-" + strconv.Itoa(end)
	}
	return start, end, next, true
}

// accountInput is a HeldAccount as a request names it: email takes
// precedence over accountId (Google's reference).
type accountInput struct {
	AccountID string `json:"accountId"`
	Email     string `json:"email"`
}

// resolveAccount finds the user a HeldAccount names. An unknown account
// is refused with 400: Google's docs do not say what it answers (guess).
func (s *Server) resolveAccount(w http.ResponseWriter, a accountInput) *User {
	key := a.AccountID
	if a.Email != "" {
		key = a.Email
	}
	u := s.findLocked(key, false)
	if key == "" || u == nil {
		vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid account: "+key)
		return nil
	}
	return u
}

// vaultRoutes are the Google Vault API's matters, holds and held
// accounts, from Google's reference (vault.googleapis.com/v1).
func (s *Server) vaultRoutes() {
	s.route("GET /v1/matters", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		q := r.URL.Query()
		state := q.Get("state")
		if state != "" && !slices.Contains([]string{"STATE_UNSPECIFIED", "OPEN", "CLOSED", "DELETED"}, state) {
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value at 'state': "+state)
			return
		}
		view := q.Get("view")
		if view != "" && !slices.Contains([]string{"VIEW_UNSPECIFIED", "BASIC", "FULL"}, view) {
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value at 'view': "+view)
			return
		}
		var mine []*VaultMatter
		for _, m := range s.vaultLocked().matters {
			if m.Owner == actor.ID && (state == "" || state == "STATE_UNSPECIFIED" || m.State == state) {
				mine = append(mine, m)
			}
		}
		start, end, next, ok := vaultPage(w, r, len(mine))
		if !ok {
			return
		}
		var list []map[string]any
		for _, m := range mine[start:end] {
			list = append(list, matterJSON(m, view == "FULL"))
		}
		writePage(w, "matters", list, next)
	})
	s.route("POST /v1/matters", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		var in struct {
			Name         string `json:"name"`
			Description  string `json:"description"`
			MatterRegion string `json:"matterRegion"`
		}
		if !decodeStrict(w, r, &in) {
			return
		}
		if strings.TrimSpace(in.Name) == "" {
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Matter name must not be empty.")
			return
		}
		v := s.vaultLocked()
		v.nextID++
		m := &VaultMatter{ID: fmt.Sprintf("m-%04d-fake", v.nextID), Name: in.Name, Description: in.Description, State: "OPEN", Owner: actor.ID}
		v.matters = append(v.matters, m)
		// "Returns the created matter with default view."
		writeJSON(w, http.StatusOK, matterJSON(m, false))
	})
	s.route("GET /v1/matters/{matterId}", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		if m := s.matterOr404(w, r, actor); m != nil {
			writeJSON(w, http.StatusOK, matterJSON(m, r.URL.Query().Get("view") == "FULL"))
		}
	})
	// holdView reads view: unspecified is FULL_HOLD.
	holdView := func(w http.ResponseWriter, r *http.Request) (full, ok bool) {
		switch r.URL.Query().Get("view") {
		case "", "HOLD_VIEW_UNSPECIFIED", "FULL_HOLD":
			return true, true
		case "BASIC_HOLD":
			return false, true
		}
		vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value at 'view'.")
		return false, false
	}
	s.route("GET /v1/matters/{matterId}/holds", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		full, ok := holdView(w, r)
		m := (*VaultMatter)(nil)
		if ok {
			m = s.matterOr404(w, r, actor)
		}
		if m == nil {
			return
		}
		start, end, next, ok := vaultPage(w, r, len(m.Holds))
		if !ok {
			return
		}
		var list []map[string]any
		for i := start; i < end; i++ {
			list = append(list, s.holdJSON(&m.Holds[i], full))
		}
		writePage(w, "holds", list, next)
	})
	s.route("GET /v1/matters/{matterId}/holds/{holdId}", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		full, ok := holdView(w, r)
		if !ok {
			return
		}
		if m := s.matterOr404(w, r, actor); m != nil {
			if h := holdOr404(w, r, m); h != nil {
				writeJSON(w, http.StatusOK, s.holdJSON(h, full))
			}
		}
	})
	s.route("POST /v1/matters/{matterId}/holds", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		m := s.matterOr404(w, r, actor)
		if m == nil {
			return
		}
		var in struct {
			Name     string         `json:"name"`
			Corpus   string         `json:"corpus"`
			Accounts []accountInput `json:"accounts"`
			OrgUnit  *struct {
				OrgUnitID string `json:"orgUnitId"`
			} `json:"orgUnit"`
			Query *struct {
				MailQuery *struct {
					Terms     string `json:"terms"`
					StartTime string `json:"startTime"`
					EndTime   string `json:"endTime"`
				} `json:"mailQuery"`
				DriveQuery *struct {
					IncludeSharedDriveFiles bool `json:"includeSharedDriveFiles"`
					IncludeTeamDriveFiles   bool `json:"includeTeamDriveFiles"`
				} `json:"driveQuery"`
			} `json:"query"`
		}
		if !decodeStrict(w, r, &in) {
			return
		}
		switch {
		case m.State != "OPEN":
			// Holds live in open matters; the wording is a guess.
			vaultError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "The matter is not open.")
			return
		case strings.TrimSpace(in.Name) == "":
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Hold name must not be empty.")
			return
		case !slices.Contains(vaultCorpora, in.Corpus):
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value at 'hold.corpus': "+in.Corpus)
			return
		case len(in.Accounts) > 0 && in.OrgUnit != nil, len(in.Accounts) == 0 && in.OrgUnit == nil:
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "A hold applies to either accounts or an organizational unit.")
			return
		case in.OrgUnit != nil:
			// Org-unit holds are not modelled: refused rather than faked.
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "googlefake models account holds only.")
			return
		case in.Query != nil && ((in.Query.MailQuery != nil && in.Corpus != "MAIL") || (in.Query.DriveQuery != nil && in.Corpus != "DRIVE")):
			vaultError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The hold's query must match its corpus.")
			return
		}
		v := s.vaultLocked()
		v.nextID++
		h := VaultHold{ID: fmt.Sprintf("h-%04d-fake", v.nextID), Name: in.Name, Corpus: in.Corpus, UpdateTime: s.now()}
		if in.Query != nil && in.Query.DriveQuery != nil {
			h.IncludeSharedDrives = in.Query.DriveQuery.IncludeSharedDriveFiles || in.Query.DriveQuery.IncludeTeamDriveFiles
		}
		for _, a := range in.Accounts {
			u := s.resolveAccount(w, a)
			if u == nil {
				return
			}
			if !slices.Contains(h.Accounts, u.ID) {
				h.Accounts = append(h.Accounts, u.ID)
			}
		}
		m.Holds = append(m.Holds, h)
		writeJSON(w, http.StatusOK, s.holdJSON(&h, true))
	})
	s.route("GET /v1/matters/{matterId}/holds/{holdId}/accounts", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		m := s.matterOr404(w, r, actor)
		if m == nil {
			return
		}
		h := holdOr404(w, r, m)
		if h == nil {
			return
		}
		out := map[string]any{}
		var list []map[string]any
		for _, a := range h.Accounts {
			list = append(list, s.heldAccountJSON(a, h.UpdateTime))
		}
		if len(list) > 0 {
			out["accounts"] = list
		}
		writeJSON(w, http.StatusOK, out)
	})
	s.route("POST /v1/matters/{matterId}/holds/{holdId}/accounts", scopeVault, false, func(w http.ResponseWriter, r *http.Request, actor *User) {
		if !vaultAccess(w, actor) {
			return
		}
		m := s.matterOr404(w, r, actor)
		if m == nil {
			return
		}
		h := holdOr404(w, r, m)
		if h == nil {
			return
		}
		var in accountInput
		if !decodeStrict(w, r, &in) {
			return
		}
		u := s.resolveAccount(w, in)
		if u == nil {
			return
		}
		if slices.Contains(h.Accounts, u.ID) {
			// Google's docs are silent on a second add; 409 is a guess.
			vaultError(w, http.StatusConflict, "ALREADY_EXISTS", "The account is already on hold.")
			return
		}
		h.Accounts = append(h.Accounts, u.ID)
		h.UpdateTime = s.now()
		writeJSON(w, http.StatusOK, s.heldAccountJSON(u.ID, h.UpdateTime))
	})
}

// writePage answers one page of a Vault list: the items under key
// (absent when empty, as Vault omits it) and the next page's token.
func writePage(w http.ResponseWriter, key string, list []map[string]any, next string) {
	out := map[string]any{}
	if len(list) > 0 {
		out[key] = list
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	writeJSON(w, http.StatusOK, out)
}
