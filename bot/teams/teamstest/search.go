package teamstest

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"
)

var invokeSeq atomic.Int64

// SearchInvoke is the activity a Teams client sends as m types query into
// an Input.ChoiceSet whose choices.data is a Data.Query of dataset, in
// conversation conv: an invoke named application/search whose value holds
// queryText, queryOptions (skip, top) and dataset, as Microsoft documents
// dynamic typeahead. Post it to the bot with a channel token; the answer
// is in the HTTP response (ParseSearchResponse).
func (c *Connector) SearchInvoke(m Member, conv, dataset, query string) map[string]any {
	return map[string]any{
		"type": "invoke", "name": "application/search", "id": fmt.Sprintf("invoke-%d", invokeSeq.Add(1)),
		"channelId": "msteams", "serviceUrl": c.URL(), "timestamp": time.Now().UTC().Format(time.RFC3339),
		"locale": "en-US", "localTimezone": "Europe/Berlin",
		"from":         map[string]any{"id": m.ID, "name": m.Name, "aadObjectId": m.AADObjectID},
		"recipient":    map[string]any{"id": "28:" + AppID, "name": "offboard"},
		"conversation": map[string]any{"id": conv, "conversationType": "personal", "tenantId": TenantID},
		"channelData":  map[string]any{"tenant": map[string]any{"id": TenantID}},
		"value": map[string]any{"queryText": query, "queryOptions": map[string]any{"skip": 0, "top": 15},
			"dataset": dataset},
	}
}

// SearchResult is one choice the bot offered: Title shown, Value picked.
type SearchResult struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// SearchResponse is a bot's answer to a SearchInvoke: its results, or the
// error it gave (Type application/vnd.microsoft.error, with Code and
// Message).
type SearchResponse struct {
	StatusCode int
	Type       string
	Results    []SearchResult
	Code       string
	Message    string
}

// ParseSearchResponse reads the body of a bot's answer to SearchInvoke,
// refusing one that is neither a search response nor an error.
func ParseSearchResponse(body []byte) (SearchResponse, error) {
	var raw struct {
		StatusCode int             `json:"statusCode"`
		Type       string          `json:"type"`
		Value      json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return SearchResponse{}, fmt.Errorf("teamstest: search response: %w", err)
	}
	r := SearchResponse{StatusCode: raw.StatusCode, Type: raw.Type}
	switch raw.Type {
	case "application/vnd.microsoft.search.searchResponse":
		var v struct {
			Results []SearchResult `json:"results"`
		}
		if err := json.Unmarshal(raw.Value, &v); err != nil {
			return r, fmt.Errorf("teamstest: search results: %w", err)
		}
		r.Results = v.Results
	case "application/vnd.microsoft.error":
		var v struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(raw.Value, &v); err != nil {
			return r, fmt.Errorf("teamstest: search error: %w", err)
		}
		r.Code, r.Message = v.Code, v.Message
	default:
		return r, fmt.Errorf("teamstest: search response of type %q", raw.Type)
	}
	return r, nil
}
