package graphfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// batchLimit is the most requests Graph accepts in one JSON batch.
const batchLimit = 20

// batch serves POST /v1.0/$batch as Microsoft documents JSON batching:
// up to 20 independent requests, each {id, method, url, headers, body}
// with url relative to the version; the batch answers 200 with one
// {id, status, headers, body} per request. Each request is served as if
// sent alone (its own permission check, its own 429 with Retry-After
// when throttling is injected); the batch's token is theirs.
func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		graphError(w, http.StatusMethodNotAllowed, "BadRequest", "$batch takes POST.")
		return
	}
	s.mu.Lock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, known := s.tokens[tok]
	valid := ok && known && exp.After(s.now())
	s.mu.Unlock()
	if !valid {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid.")
		return
	}
	var in struct {
		Requests []struct {
			ID      string            `json:"id"`
			Method  string            `json:"method"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
			// DependsOn is accepted and ignored: the fake runs requests
			// in order, which satisfies any dependency on earlier ones.
			DependsOn []string `json:"dependsOn"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
		return
	}
	switch {
	case len(in.Requests) == 0:
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
		return
	case len(in.Requests) > batchLimit:
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid batch payload format: the batch holds %d requests, more than the limit of %d.", len(in.Requests), batchLimit))
		return
	}
	seen := map[string]bool{}
	for _, q := range in.Requests {
		id := strings.ToLower(q.ID)
		if id == "" || seen[id] || q.Method == "" || q.URL == "" {
			graphError(w, http.StatusBadRequest, "BadRequest", "Invalid batch payload: each request needs a unique id, a method and a url.")
			return
		}
		seen[id] = true
	}
	responses := make([]map[string]any, 0, len(in.Requests))
	for _, q := range in.Requests {
		responses = append(responses, s.batchItem(r, q.ID, q.Method, q.URL, q.Headers, q.Body))
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": responses})
}

// batchItem serves one request of a batch through the ordinary routes.
func (s *Server) batchItem(outer *http.Request, id, method, rel string, headers map[string]string, body json.RawMessage) map[string]any {
	answer := func(status int, hdr http.Header, data []byte) map[string]any {
		out := map[string]any{"id": id, "status": status}
		h := map[string]string{}
		for k := range hdr {
			h[k] = hdr.Get(k)
		}
		if len(h) > 0 {
			out["headers"] = h
		}
		if len(bytes.TrimSpace(data)) > 0 {
			out["body"] = json.RawMessage(data)
		}
		return out
	}
	hasBody := len(body) > 0 && !bytes.Equal(bytes.TrimSpace(body), []byte("null"))
	contentType := ""
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			contentType = v
		}
	}
	if hasBody && contentType == "" {
		rec := newRecorder()
		graphError(rec, http.StatusBadRequest, "BadRequest", "Content-Type header must be specified when a body is present.")
		return answer(rec.Code, rec.Header(), rec.Body.Bytes())
	}
	if !strings.HasPrefix(rel, "/") {
		rel = "/" + rel
	}
	var rd *bytes.Reader
	if hasBody {
		rd = bytes.NewReader(body)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(outer.Context(), method, "/v1.0"+rel, rd)
	if err != nil {
		rec := newRecorder()
		graphError(rec, http.StatusBadRequest, "BadRequest", "Invalid request URL.")
		return answer(rec.Code, rec.Header(), rec.Body.Bytes())
	}
	req.Header.Set("Authorization", outer.Header.Get("Authorization"))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := newRecorder()
	s.mu.Lock()
	throttled := s.batchThrottle > 0
	if throttled {
		s.batchThrottle--
		rec.Header().Set("Retry-After", strconv.Itoa(s.batchRetryAfter))
		graphError(rec, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
	}
	s.mu.Unlock()
	if !throttled {
		s.graph(rec, req)
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: method, Path: req.URL.Path, Query: req.URL.RawQuery, Status: rec.Code, Batched: true})
	s.mu.Unlock()
	return answer(rec.Code, rec.Header(), rec.Body.Bytes())
}

// ThrottleBatched makes the next n requests inside batches answer 429
// with Retry-After while the batch itself answers 200, as Graph throttles
// a batch's requests one by one.
func (s *Server) ThrottleBatched(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batchThrottle, s.batchRetryAfter = n, int(retryAfter/time.Second)
}

// BatchedCount counts the requests served inside batches, and the
// batches.
func (s *Server) BatchedCount() (items, batches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.requests {
		switch {
		case r.Batched:
			items++
		case r.Path == "/v1.0/$batch":
			batches++
		}
	}
	return items, batches
}

// recorder keeps what a batched item's handler wrote, so it can go into
// the batch's answer. The fake runs in the demo too, so it cannot use
// net/http/httptest (no test code in the binary).
type recorder struct {
	header http.Header
	Code   int
	Body   bytes.Buffer
	wrote  bool
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, Code: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.Code, r.wrote = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.Body.Write(b)
}
