// Package openaitest is a fake OpenAI-compatible chat server for tests: a
// real HTTP server that speaks POST /v1/chat/completions, so the real
// go-openai client runs against it.
//
// A test scripts the model: for each request the script returns the next
// answer (text, tool calls, an HTTP error, a broken body or a delay), and
// it may inspect what it was sent, e.g. the tool results. Every request
// is recorded. It imports only the standard library, so that its wire
// types check the client's JSON rather than share its structs.
package openaitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is a chat completion request as received.
type Request struct {
	Model      string          `json:"model"`
	Messages   []Message       `json:"messages"`
	Tools      []Tool          `json:"tools"`
	ToolChoice json.RawMessage `json:"tool_choice"`
	// Authorization and APIKey are the request's auth headers.
	Authorization string `json:"-"`
	APIKey        string `json:"-"`
	Path          string `json:"-"`
	// APIVersion is Azure's api-version query parameter.
	APIVersion string `json:"-"`
}

// Message is one chat message.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content,omitempty"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// ToolCall is a function call the model asks for.
type ToolCall struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Function Function `json:"function"`
}

// Function is the called function's name and JSON arguments.
type Function struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool is an offered tool.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// ToolNames lists the offered tools.
func (r Request) ToolNames() []string {
	var out []string
	for _, t := range r.Tools {
		out = append(out, t.Function.Name)
	}
	return out
}

// ToolResults returns the tool messages that answer the latest round of
// calls (those after the last assistant message).
func (r Request) ToolResults() []Message {
	var out []Message
	for i := len(r.Messages) - 1; i >= 0 && r.Messages[i].Role == "tool"; i-- {
		out = append([]Message{r.Messages[i]}, out...)
	}
	return out
}

// Result returns the content of the latest result for a tool call id.
func (r Request) Result(callID string) (string, bool) {
	for _, m := range r.ToolResults() {
		if m.ToolCallID == callID {
			return m.Content, true
		}
	}
	return "", false
}

// Reply is the model's scripted answer to one request.
type Reply struct {
	// Content is the answer text.
	Content string
	// ToolCalls, when set, ask for tools (finish_reason "tool_calls").
	ToolCalls []ToolCall
	// Status, when not 0 or 200, answers with an OpenAI-style error.
	Status int
	// Raw, when set, is sent as the body as is (a broken server).
	Raw string
	// NoChoices answers with an empty choices list.
	NoChoices bool
	// Delay holds the answer back (or until the client gives up).
	Delay time.Duration
	// Echo makes an error (Status) quote the request's key, as OpenAI's
	// "Incorrect API key provided: sk-…" does, and its last message.
	Echo bool
}

// Call is a tool call with JSON arguments.
func Call(id, name, args string) ToolCall {
	return ToolCall{ID: id, Type: "function", Function: Function{Name: name, Arguments: args}}
}

// Script answers request n (0-based).
type Script func(n int, req Request) Reply

// Server is the fake.
type Server struct {
	// URL is the base URL to configure, with "/v1".
	URL string

	t      testing.TB
	srv    *httptest.Server
	script Script

	mu   sync.Mutex
	reqs []Request
}

// New starts a fake that answers with script; it stops with the test.
func New(t testing.TB, script Script) *Server {
	s := &Server{t: t, script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	// Azure OpenAI's deployment path, same body, held to Azure's rules.
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.azure)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	t.Cleanup(s.srv.Close)
	return s
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// azure serves Azure OpenAI's data-plane path
// (/openai/deployments/{deployment}/chat/completions?api-version=…) as
// Azure does: the api-version parameter is required, a key comes in the
// api-key header (or an Entra ID token as a Bearer), and an api-version
// from before tool calling (2023-05-15, the last GA without it, or a
// preview before 2023-12-01) refuses "tools" and "tool_choice" as
// unrecognized arguments with 400.
func (s *Server) azure(w http.ResponseWriter, r *http.Request) {
	version := r.URL.Query().Get("api-version")
	if version == "" {
		writeAzureError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	if r.Header.Get("api-key") == "" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeAzureError(w, http.StatusUnauthorized, "401",
			"Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.")
		return
	}
	s.serve(w, r, func(req Request) bool {
		if !AzureHasTools(version) && (len(req.Tools) > 0 || len(req.ToolChoice) > 0) {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "Unrecognized request arguments supplied: tool_choice, tools")
			return false
		}
		return true
	})
}

// AzureHasTools reports whether an Azure OpenAI api-version accepts
// tools: 2024-02-01 and later GA versions, previews from 2023-12-01.
func AzureHasTools(version string) bool {
	date := strings.TrimSuffix(version, "-preview")
	if len(date) != len("2006-01-02") {
		return false
	}
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return false
	}
	return date >= "2023-12-01"
}

func writeAzureError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, func(Request) bool { return true })
}

// serve decodes and records a request, lets accept refuse it, then
// answers with the script.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, accept func(Request) bool) {
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "the body is not a chat completion request: "+err.Error())
		return
	}
	req.Authorization, req.APIKey, req.Path = r.Header.Get("Authorization"), r.Header.Get("api-key"), r.URL.Path
	req.APIVersion = r.URL.Query().Get("api-version")
	if !accept(req) {
		return
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()

	rep := s.script(n, req)
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case rep.Raw != "":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, rep.Raw)
		return
	case rep.Status != 0 && rep.Status != http.StatusOK:
		msg := "scripted failure"
		if rep.Echo {
			key := strings.TrimPrefix(req.Authorization, "Bearer ")
			if key == "" {
				key = req.APIKey
			}
			msg = "Incorrect API key provided: " + key + "."
			if len(req.Messages) > 0 {
				msg += " Last message: " + req.Messages[len(req.Messages)-1].Content
			}
		}
		writeError(w, rep.Status, "server_error", msg)
		return
	}
	msg := map[string]any{"role": "assistant", "content": rep.Content}
	finish := "stop"
	if len(rep.ToolCalls) > 0 {
		msg["tool_calls"], finish = rep.ToolCalls, "tool_calls"
	}
	choices := []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}}
	if rep.NoChoices {
		choices = []any{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": fmt.Sprintf("chatcmpl-%d", n), "object": "chat.completion", "created": time.Now().Unix(),
		"model": req.Model, "choices": choices,
		"usage": map[string]int{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
	})
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": nil}})
}

// Contains reports whether any message of role in req contains s.
func (r Request) Contains(role, s string) bool {
	for _, m := range r.Messages {
		if m.Role == role && strings.Contains(m.Content, s) {
			return true
		}
	}
	return false
}
