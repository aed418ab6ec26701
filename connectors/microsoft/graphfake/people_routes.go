package graphfake

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// permMailboxSettings are the documented application permissions of GET
// /users/{id}/mailboxSettings.
var permMailboxSettings = []string{"MailboxSettings.Read", "MailboxSettings.ReadWrite"}

var (
	reTimeZone = regexp.MustCompile(`^/v1\.0/users/([^/]+)/mailboxSettings/timeZone$`)
	reExpand   = regexp.MustCompile(`^manager(?:\(\$select=([A-Za-z,]+)\))?$`)
)

// Graph's page sizes for users: 100 by default, $top up to 999, and at
// most 100 when $expand is used (a documented known issue of directory
// objects).
const (
	defaultPage = 100
	maxPage     = 999
	expandPage  = 100
)

// people serves the mailbox time zone; false when p is not it.
func (s *Server) people(w http.ResponseWriter, r *http.Request) bool {
	m := reTimeZone.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodGet {
		return false
	}
	if !s.allowed(w, permMailboxSettings) {
		return true
	}
	u := s.findUser(w, m[1])
	if u == nil {
		return true
	}
	if u.TimeZone == "" {
		graphError(w, http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
		return true
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": u.TimeZone})
	return true
}

// userPage answers GET /users: users ordered by id, $select applied,
// $expand=manager($select=…) inlining each user's manager (absent when
// none), paged by @odata.nextLink with an opaque $skiptoken. mail is the
// $filter's mail match, or nil.
func (s *Server) userPage(w http.ResponseWriter, r *http.Request, mail []string) {
	q := r.URL.Query()
	size := defaultPage
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified.")
			return
		}
		size = n
	}
	var expand []string
	expanding := q.Get("$expand") != ""
	if expanding {
		m := reExpand.FindStringSubmatch(q.Get("$expand"))
		if m == nil {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "The fake expands manager only.")
			return
		}
		if m[1] != "" {
			expand = strings.Split(m[1], ",")
		}
		size = min(size, expandPage)
	}
	skip := 0
	if v := q.Get("$skiptoken"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "X'"))
		if err != nil || n < 0 {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.")
			return
		}
		skip = n
	}
	var users []*User
	for _, u := range s.users {
		if mail == nil || strings.EqualFold(u.Mail, strings.ReplaceAll(mail[1], "''", "'")) {
			users = append(users, u)
		}
	}
	slices.SortFunc(users, func(a, b *User) int { return strings.Compare(a.ID, b.ID) })
	if skip > len(users) {
		skip = len(users)
	}
	end := min(skip+size, len(users))
	var sel []string
	if v := q.Get("$select"); v != "" {
		sel = strings.Split(v, ",")
	}
	list := []map[string]any{}
	for _, u := range users[skip:end] {
		item := selected(userJSON(u), sel)
		if expanding {
			if m, ok := s.users[u.ManagerID]; ok {
				mj := selected(userJSON(m), expand)
				mj["@odata.type"] = "#microsoft.graph.user"
				item["manager"] = mj
			}
		}
		list = append(list, item)
	}
	out := map[string]any{"value": list}
	if end < len(users) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("$skiptoken", "X'"+strconv.Itoa(end))
		out["@odata.nextLink"] = s.URL + "/v1.0/users?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, out)
}

// selected keeps the $select'ed properties (all when sel is empty); the
// id always comes, as Graph sends it.
func selected(m map[string]any, sel []string) map[string]any {
	if len(sel) == 0 {
		return m
	}
	out := map[string]any{"id": m["id"]}
	for _, k := range sel {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}
