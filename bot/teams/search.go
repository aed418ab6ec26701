package teams

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/offboard-dev/offboard"
)

// PeopleDataset is the Data.Query dataset of a person picker's dynamic
// typeahead (RenderForm): Teams names it in the search it sends.
const PeopleDataset = "offboard.people"

// Teams' typeahead, as Microsoft documents it: an invoke activity named
// application/search whose value holds queryText, queryOptions (skip,
// top) and dataset, answered in the HTTP response with a search response
// (results of title and value) or an error.
const (
	invokeSearch       = "application/search"
	searchResponseType = "application/vnd.microsoft.search.searchResponse"
	errorResponseType  = "application/vnd.microsoft.error"
)

// searchResult is one choice of the typeahead: title shown, value
// submitted (the email).
type searchResult struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// searchInvoke answers a person picker's typeahead from the directory,
// through the router, which lets only those who may open cases search and
// slows a flood; a refusal is an error response Teams shows in the list.
func (p *Platform) searchInvoke(ctx context.Context, w http.ResponseWriter, act schema.Activity) {
	dataset, _ := act.Value["dataset"].(string)
	query, _ := act.Value["queryText"].(string)
	if dataset != PeopleDataset {
		p.log.Warn("teams: a search for an unknown dataset", "dataset", truncate(dataset, 40))
		writeInvoke(w, http.StatusBadRequest, errorResponse(http.StatusBadRequest, "unknown dataset"))
		return
	}
	top := offboard.MaxSearchResults
	if opts, ok := act.Value["queryOptions"].(map[string]any); ok {
		if n, ok := opts["top"].(float64); ok && n >= 1 && n < float64(top) {
			top = int(n)
		}
	}
	who := p.actor(ctx, act)
	found, err := p.router.FindPeople(ctx, who, query, top)
	switch offboard.ErrorCode(err) {
	case "":
	case offboard.EFORBIDDEN:
		p.log.Warn("teams: a people search was refused", "actor", who.String())
		writeInvoke(w, http.StatusForbidden, errorResponse(http.StatusForbidden, offboard.ErrorMessage(err)))
		return
	case offboard.EUNAVAILABLE:
		writeInvoke(w, http.StatusTooManyRequests, errorResponse(http.StatusTooManyRequests, offboard.ErrorMessage(err)))
		return
	default:
		p.log.Error("teams: people search", "err", err)
		writeInvoke(w, http.StatusInternalServerError, errorResponse(http.StatusInternalServerError, "the search failed"))
		return
	}
	results := make([]searchResult, 0, len(found))
	for _, f := range found {
		title := f.Email
		if f.Name != "" {
			title = f.Name + " (" + f.Email + ")"
		}
		results = append(results, searchResult{Title: title, Value: f.Email})
	}
	writeInvoke(w, http.StatusOK, map[string]any{"statusCode": http.StatusOK, "type": searchResponseType,
		"value": map[string]any{"results": results}})
}

func errorResponse(status int, msg string) map[string]any {
	return map[string]any{"statusCode": status, "type": errorResponseType,
		"value": map[string]any{"code": http.StatusText(status), "message": msg}}
}

func writeInvoke(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// truncate cuts s to n bytes for a log line.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
