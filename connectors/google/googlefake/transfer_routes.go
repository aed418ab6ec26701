package googlefake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

const scopeDataTransfer = "https://www.googleapis.com/auth/admin.datatransfer"

// The applications the fake's Data Transfer API offers, with the ids and
// parameters Google's "Transfer parameters" page documents.
const (
	AppDriveID    int64 = 55656082996
	AppCalendarID int64 = 435070579839
	AppStudioID   int64 = 810260081642
)

// Transfer statuses as Google's DataTransfer resources show them. Google
// documents no enum for overallTransferStatusCode; these are the values
// its answers carry (and GAM prints): new, inProgress, completed, failed.
const (
	TransferNew        = "new"
	TransferInProgress = "inProgress"
	TransferCompleted  = "completed"
	TransferFailed     = "failed"
)

// DefaultTransferPolls is how many transfers.get/list answers a transfer
// stays pending for before it finishes.
const DefaultTransferPolls = 3

type application struct {
	id     int64
	name   string
	params map[string][]string // key → allowed values
}

var applications = []application{
	{AppDriveID, "Drive and Docs", map[string][]string{"PRIVACY_LEVEL": {"PRIVATE", "SHARED"}}},
	{AppCalendarID, "Calendar", map[string][]string{"RELEASE_RESOURCES": {"TRUE"}}},
	{AppStudioID, "Data Studio", map[string][]string{}},
}

// Transfer is one Data Transfer the fake holds.
type Transfer struct {
	ID          string
	OldOwnerID  string
	NewOwnerID  string
	Apps        []TransferApp
	Status      string
	RequestTime time.Time
	// Polls counts the gets and lists that showed it while pending.
	Polls int
	// fail makes it end failed instead of completed.
	fail bool
}

// TransferApp is one application of a transfer with its parameters.
type TransferApp struct {
	ID     int64
	Params map[string][]string
	Status string
}

// transferState is the Data Transfer API's state in Server.ext.
type transferState struct {
	transfers []*Transfer
	// polls is how many answers a new transfer stays pending for.
	polls    int
	failNext bool
	next     int
}

func (s *Server) transfersLocked() *transferState {
	st, ok := s.ext["transfers"].(*transferState)
	if !ok {
		st = &transferState{polls: DefaultTransferPolls}
		s.ext["transfers"] = st
	}
	return st
}

// SetTransferPolls sets how many transfers.get/list answers a transfer
// stays new or in progress for before it finishes (at least 1).
func (s *Server) SetTransferPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transfersLocked().polls = max(n, 1)
}

// FailNextTransfer makes the next transfer inserted end failed, its data
// left with the old owner, as Google ends a transfer it could not do
// (the new owner's storage full, for one).
func (s *Server) FailNextTransfer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transfersLocked().failNext = true
}

// AddTransfer adds a transfer as if inserted earlier (a test's or the
// demo's history) and returns its id; an empty Status is new, a zero
// RequestTime now.
func (s *Server) AddTransfer(t Transfer) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.transfersLocked()
	st.next++
	t.ID = fmt.Sprintf("AKrEtIfake%06d", st.next)
	if t.Status == "" {
		t.Status = TransferNew
	}
	if t.RequestTime.IsZero() {
		t.RequestTime = s.now()
	}
	t.Apps = slices.Clone(t.Apps)
	st.transfers = append(st.transfers, &t)
	return t.ID
}

// Transfers are copies of the transfers inserted so far, oldest first.
func (s *Server) Transfers() []Transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Transfer
	for _, t := range s.transfersLocked().transfers {
		c := *t
		c.Apps = slices.Clone(t.Apps)
		out = append(out, c)
	}
	return out
}

// pollLocked is one answer about a pending transfer: the first moves it
// to inProgress, the configured count finishes it, moving the old owner's
// files and events to the new owner when it completes.
func (s *Server) pollLocked(t *Transfer) {
	if t.Status == TransferCompleted || t.Status == TransferFailed {
		return
	}
	t.Polls++
	if t.Polls < s.transfersLocked().polls {
		t.Status = TransferInProgress
		for i := range t.Apps {
			t.Apps[i].Status = TransferInProgress
		}
		return
	}
	final := TransferCompleted
	if t.fail {
		final = TransferFailed
	}
	t.Status = final
	for i := range t.Apps {
		t.Apps[i].Status = final
	}
	if t.fail {
		return
	}
	from, to := s.users[t.OldOwnerID], s.users[t.NewOwnerID]
	if from == nil || to == nil {
		return
	}
	for _, a := range t.Apps {
		switch a.ID {
		case AppDriveID:
			// Both privacy levels move every file; one moves none of the
			// fake's files, which it does not tell apart.
			if len(a.Params["PRIVACY_LEVEL"]) == 2 {
				to.DriveFiles += from.DriveFiles
				from.DriveFiles = 0
			}
		case AppCalendarID:
			to.CalendarEvents += from.CalendarEvents
			from.CalendarEvents = 0
		}
	}
}

func transferJSON(t *Transfer) map[string]any {
	apps := []map[string]any{}
	for _, a := range t.Apps {
		params := []map[string]any{}
		for _, k := range sortedKeys(a.Params) {
			params = append(params, map[string]any{"key": k, "value": a.Params[k]})
		}
		apps = append(apps, map[string]any{"applicationId": strconv.FormatInt(a.ID, 10),
			"applicationTransferParams": params, "applicationTransferStatus": a.Status})
	}
	return map[string]any{
		"kind": "admin#datatransfer#DataTransfer", "etag": `"` + t.ID + "/" + t.Status + `"`, "id": t.ID,
		"oldOwnerUserId": t.OldOwnerID, "newOwnerUserId": t.NewOwnerID, "applicationDataTransfers": apps,
		"overallTransferStatusCode": t.Status, "requestTime": t.RequestTime.UTC().Format(time.RFC3339Nano),
	}
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// page cuts items by maxResults (default and ceiling as Google documents
// them: 100 and 500) and a pageToken that is the offset.
func page[T any](w http.ResponseWriter, r *http.Request, items []T) ([]T, string, bool) {
	size := 100
	if v := r.URL.Query().Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid value for: maxResults")
			return nil, "", false
		}
		size = n
	}
	from := 0
	if v := r.URL.Query().Get("pageToken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > len(items) {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid value for: pageToken")
			return nil, "", false
		}
		from = n
	}
	to := min(from+size, len(items))
	next := ""
	if to < len(items) {
		next = strconv.Itoa(to)
	}
	return items[from:to], next, true
}

// customerOK refuses a customerId other than the fake's (or my_customer).
func customerOK(w http.ResponseWriter, r *http.Request) bool {
	if c := r.URL.Query().Get("customerId"); c != "" && c != CustomerID && c != "my_customer" {
		apiError(w, http.StatusForbidden, "forbidden", "Not Authorized to access this resource/api")
		return false
	}
	return true
}

// transferRoutes are the Admin SDK Data Transfer API's routes.
func (s *Server) transferRoutes() {
	s.route("GET /admin/datatransfer/v1/applications", scopeDataTransfer, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		if !customerOK(w, r) {
			return
		}
		items, next, ok := page(w, r, applications)
		if !ok {
			return
		}
		out := []map[string]any{}
		for _, a := range items {
			out = append(out, applicationJSON(a))
		}
		body := map[string]any{"kind": "admin#datatransfer#applicationsList", "applications": out}
		if next != "" {
			body["nextPageToken"] = next
		}
		writeJSON(w, http.StatusOK, body)
	})
	s.route("GET /admin/datatransfer/v1/applications/{applicationId}", scopeDataTransfer, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		for _, a := range applications {
			if strconv.FormatInt(a.id, 10) == r.PathValue("applicationId") {
				writeJSON(w, http.StatusOK, applicationJSON(a))
				return
			}
		}
		apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: applicationId")
	})
	s.route("POST /admin/datatransfer/v1/transfers", scopeDataTransfer, true, s.insertTransfer)
	s.route("GET /admin/datatransfer/v1/transfers/{dataTransferId}", scopeDataTransfer, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		for _, t := range s.transfersLocked().transfers {
			if t.ID == r.PathValue("dataTransferId") {
				s.pollLocked(t)
				writeJSON(w, http.StatusOK, transferJSON(t))
				return
			}
		}
		apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: dataTransferId")
	})
	s.route("GET /admin/datatransfer/v1/transfers", scopeDataTransfer, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		if !customerOK(w, r) {
			return
		}
		q := r.URL.Query()
		var match []*Transfer
		for _, t := range s.transfersLocked().transfers {
			if (q.Get("oldOwnerUserId") == "" || q.Get("oldOwnerUserId") == t.OldOwnerID) &&
				(q.Get("newOwnerUserId") == "" || q.Get("newOwnerUserId") == t.NewOwnerID) {
				s.pollLocked(t)
				if q.Get("status") == "" || q.Get("status") == t.Status {
					match = append(match, t)
				}
			}
		}
		items, next, ok := page(w, r, match)
		if !ok {
			return
		}
		out := []map[string]any{}
		for _, t := range items {
			out = append(out, transferJSON(t))
		}
		body := map[string]any{"kind": "admin#datatransfer#dataTransfersList", "dataTransfers": out}
		if next != "" {
			body["nextPageToken"] = next
		}
		writeJSON(w, http.StatusOK, body)
	})
}

func applicationJSON(a application) map[string]any {
	params := []map[string]any{}
	for _, k := range sortedKeys(a.params) {
		params = append(params, map[string]any{"key": k, "value": a.params[k]})
	}
	return map[string]any{"kind": "admin#datatransfer#ApplicationResource", "id": strconv.FormatInt(a.id, 10),
		"name": a.name, "transferParams": params}
}

// insertTransfer is transfers.insert. Google documents the body and that
// the receiver must be an active user of the domain; its error texts for
// a refused insert are not documented, so the fake's are its own
// (400 invalid, saying what is wrong).
func (s *Server) insertTransfer(w http.ResponseWriter, r *http.Request, _ *User) {
	var in struct {
		Kind                     string `json:"kind"`
		OldOwnerUserID           string `json:"oldOwnerUserId"`
		NewOwnerUserID           string `json:"newOwnerUserId"`
		ApplicationDataTransfers []struct {
			ApplicationID             string `json:"applicationId"`
			ApplicationTransferParams []struct {
				Key   string   `json:"key"`
				Value []string `json:"value"`
			} `json:"applicationTransferParams"`
		} `json:"applicationDataTransfers"`
	}
	if !decodeStrict(w, r, &in) {
		return
	}
	bad := func(msg string) { apiError(w, http.StatusBadRequest, "invalid", msg) }
	switch {
	case in.OldOwnerUserID == "":
		bad("Missing required field: oldOwnerUserId")
		return
	case in.NewOwnerUserID == "":
		bad("Missing required field: newOwnerUserId")
		return
	case len(in.ApplicationDataTransfers) == 0:
		bad("Missing required field: applicationDataTransfers")
		return
	case in.OldOwnerUserID == in.NewOwnerUserID:
		bad("Invalid input: the old and the new owner are the same user.")
		return
	}
	// Data Transfer takes profile ids, never emails.
	from, to := s.users[in.OldOwnerUserID], s.users[in.NewOwnerUserID]
	if from == nil {
		bad("Invalid value for: oldOwnerUserId is not a user id of this customer")
		return
	}
	if to == nil || to.Deleted {
		bad("Invalid value for: newOwnerUserId is not a user id of this customer")
		return
	}
	if to.Suspended || to.Archived {
		bad("Invalid input: the new owner's account is suspended; data can be transferred only to an active user.")
		return
	}
	t := &Transfer{OldOwnerID: from.ID, NewOwnerID: to.ID, Status: TransferNew, RequestTime: s.now()}
	for _, a := range in.ApplicationDataTransfers {
		app, ok := findApplication(a.ApplicationID)
		if !ok {
			bad("Invalid value for: applicationId " + a.ApplicationID)
			return
		}
		ta := TransferApp{ID: app.id, Params: map[string][]string{}, Status: "pending"}
		for _, p := range a.ApplicationTransferParams {
			allowed, ok := app.params[p.Key]
			if !ok {
				bad(fmt.Sprintf("Invalid transfer parameter %s for application %d", p.Key, app.id))
				return
			}
			for _, v := range p.Value {
				if !slices.Contains(allowed, v) {
					bad(fmt.Sprintf("Invalid value %s for transfer parameter %s", v, p.Key))
					return
				}
			}
			ta.Params[p.Key] = slices.Clone(p.Value)
		}
		t.Apps = append(t.Apps, ta)
	}
	st := s.transfersLocked()
	st.next++
	t.ID = fmt.Sprintf("AKrEtIfake%06d", st.next)
	t.fail, st.failNext = st.failNext, false
	st.transfers = append(st.transfers, t)
	writeJSON(w, http.StatusOK, transferJSON(t))
}

func findApplication(id string) (application, bool) {
	for _, a := range applications {
		if strconv.FormatInt(a.id, 10) == id {
			return a, true
		}
	}
	return application{}, false
}
