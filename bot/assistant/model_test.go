package assistant_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
)

const testKey = "sk-test-secret-key"

// newModel builds a Model on w's engine against fake.
func newModel(t *testing.T, w *world, fake *openaitest.Server, edit ...func(*assistant.ModelOptions)) *assistant.Model {
	t.Helper()
	o := assistant.ModelOptions{Engine: w.engine, Roles: roles, APIKey: testKey, BaseURL: fake.URL, Model: "test-model",
		MaxToolRounds: 3, Timeout: 5 * time.Second, Clock: w.clock, Location: time.UTC}
	for _, e := range edit {
		e(&o)
	}
	m, err := assistant.NewModel(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (w *world) askModel(m *assistant.Model, who offboard.Actor, text string) offboard.Reply {
	w.t.Helper()
	r, ok := m.Answer(w.ctx, who, text)
	if !ok {
		w.t.Fatalf("%q: the model answerer reported not understood", text)
	}
	if !r.Ephemeral {
		w.t.Errorf("%q: the reply is not ephemeral", text)
	}
	return r
}

// decode parses a tool result.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("tool result is not a JSON object: %v\n%s", err, s)
	}
	return m
}

func TestModel_ToolRoundTrip(t *testing.T) {
	w := newWorld(t)
	var results []string
	fake := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		switch n {
		case 0:
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c1", "case_status", `{"case":"jane"}`)}}
		case 1:
			r, _ := req.Result("c1")
			results = append(results, r)
			return openaitest.Reply{Content: "Jane Doe (OFF) is on track; the IT team still has to suspend Okta."}
		}
		return openaitest.Reply{Status: 500}
	})
	m := newModel(t, w, fake)
	r := w.askModel(m, boss, "where is Jane's offboarding?")
	if r.Text != "Jane Doe (OFF) is on track; the IT team still has to suspend Okta." {
		t.Errorf("reply = %q, want the model's answer", r.Text)
	}
	if len(r.Cards) != 1 || !strings.Contains(r.Cards[0].Title, string(w.ids["jane"])+" · Jane Doe") {
		t.Errorf("want Jane's case card, got %+v", r.Cards)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	// What the model was offered: read-only tools only.
	if got, want := reqs[0].ToolNames(), []string{"find_cases", "case_status", "open_tasks", "approvals_waiting", "stats"}; !slices.Equal(got, want) {
		t.Errorf("tools = %v, want %v", got, want)
	}
	if reqs[0].Model != "test-model" || reqs[0].Authorization != "Bearer "+testKey {
		t.Errorf("model %q, auth %q", reqs[0].Model, reqs[0].Authorization)
	}
	if len(reqs[0].Messages) != 2 || reqs[0].Messages[0].Role != "system" || reqs[0].Messages[1].Content != "where is Jane's offboarding?" {
		t.Errorf("first request messages: %+v", reqs[0].Messages)
	}
	if !strings.Contains(reqs[0].Messages[0].Content, "Wednesday 25 November 2026") {
		t.Errorf("the prompt lacks today's date: %q", reqs[0].Messages[0].Content)
	}
	// The tool result carries Jane's case.
	res := decode(t, results[0])
	c := res["case"].(map[string]any)
	if c["id"] != string(w.ids["jane"]) || c["name"] != "Jane Doe" || c["email"] != "jane.doe@example.com" || c["last_day"] != "Thu 31 Dec 2026" || c["opened"] == "" || strings.Contains(c["opened"].(string), "-") {
		t.Errorf("case in the tool result: %v", c)
	}
	tasks := res["tasks"].([]any)
	if len(tasks) < 10 {
		t.Fatalf("%d tasks in the tool result", len(tasks))
	}
	must(t, results[0], "Suspend the Okta account", "Cancel the corporate card", `"manager_email":"mona.manager@example.com"`)
	// The assistant's tool call went back unchanged before the result.
	msgs := reqs[1].Messages
	if a := msgs[len(msgs)-2]; a.Role != "assistant" || len(a.ToolCalls) != 1 || a.ToolCalls[0].ID != "c1" {
		t.Errorf("the assistant message did not go back: %+v", a)
	}
	if tm := msgs[len(msgs)-1]; tm.Role != "tool" || tm.ToolCallID != "c1" || tm.Name != "case_status" {
		t.Errorf("tool message: %+v", tm)
	}
}

// Several calls in one round, each tool once.
func TestModel_EveryTool(t *testing.T) {
	w := newWorld(t)
	w.clock.Advance(3 * 24 * time.Hour) // day-one tasks are overdue
	var got openaitest.Request
	fake := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{
				openaitest.Call("f", "find_cases", `{"status":"open"}`),
				openaitest.Call("fq", "find_cases", `{"query":"alex.kim@example.com"}`),
				openaitest.Call("o", "open_tasks", `{"department":"finance","overdue_only":true}`),
				openaitest.Call("a", "approvals_waiting", `{}`),
				openaitest.Call("s", "stats", `{"from":"2026-11-01","to":"2026-11-30"}`),
				openaitest.Call("d1", "find_cases", `{"status":"any","opened_from":"2026-11-25","opened_to":"2026-11-25"}`),
				openaitest.Call("d2", "find_cases", `{"opened_to":"2026-11-24"}`),
			}}
		}
		got = req
		return openaitest.Reply{Content: "done"}
	})
	m := newModel(t, w, fake)
	w.askModel(m, boss, "give me an overview")
	res := func(id string) map[string]any { s, _ := got.Result(id); return decode(t, s) }
	if len(got.ToolResults()) != 7 {
		t.Fatalf("%d tool results, want 7", len(got.ToolResults()))
	}
	if cases := res("d1")["cases"].([]any); len(cases) != 3 {
		t.Errorf("find_cases opened on the 25th: %d cases, want 3", len(cases))
	}
	if cases := res("d2")["cases"].([]any); len(cases) != 0 {
		t.Errorf("find_cases opened before the 25th: %v", cases)
	}
	if cases := res("f")["cases"].([]any); len(cases) != 3 {
		t.Errorf("find_cases open: %d cases, want 3", len(cases))
	}
	if cases := res("fq")["cases"].([]any); len(cases) != 1 || cases[0].(map[string]any)["name"] != "Alex Kim" {
		t.Errorf("find_cases by email: %v", cases)
	}
	tasks := res("o")["tasks"].([]any)
	if len(tasks) == 0 {
		t.Fatal("no overdue finance tasks")
	}
	for _, x := range tasks {
		tk := x.(map[string]any)
		if tk["department"] != "Finance" || tk["overdue_by"] == nil {
			t.Errorf("not an overdue finance task: %v", tk)
		}
	}
	apps := res("a")["approvals"].([]any)
	if len(apps) == 0 || apps[0].(map[string]any)["status"] != "pending" {
		t.Errorf("approvals: %v", apps)
	}
	if s := res("s"); s["cases_opened"] != 3.0 || s["still_open"] != 3.0 || s["completion_rate"] != "0%" {
		t.Errorf("stats: %v", s)
	}
}

func TestModel_MaxToolRounds(t *testing.T) {
	w := newWorld(t)
	// A model that never stops calling tools, even when told not to.
	loop := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("x", "find_cases", `{}`)}}
	})
	m := newModel(t, w, loop, func(o *assistant.ModelOptions) { o.MaxToolRounds = 2 })
	r := w.askModel(m, boss, "where is Jane's offboarding?")
	must(t, r.Text, "The language model needed more than 2 rounds of lookups.", "Here is the simple answer:", "Jane Doe", "last day Thu 31 Dec 2026")
	reqs := loop.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 2 rounds and a last one", len(reqs))
	}
	if string(reqs[2].ToolChoice) != `"none"` || string(reqs[1].ToolChoice) != `"auto"` {
		t.Errorf("tool_choice: %s then %s", reqs[1].ToolChoice, reqs[2].ToolChoice)
	}

	// One that obeys tool_choice "none" answers with what it has.
	polite := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if string(req.ToolChoice) == `"none"` {
			return openaitest.Reply{Content: "Here is what I found so far."}
		}
		return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("x", "find_cases", `{}`)}}
	})
	m = newModel(t, w, polite, func(o *assistant.ModelOptions) { o.MaxToolRounds = 2 })
	if r := w.askModel(m, boss, "anything"); r.Text != "Here is what I found so far." {
		t.Errorf("reply %q", r.Text)
	}
}

func TestModel_Timeout(t *testing.T) {
	w := newWorld(t)
	fake := openaitest.New(t, func(int, openaitest.Request) openaitest.Reply {
		return openaitest.Reply{Delay: 10 * time.Second, Content: "too late"}
	})
	m := newModel(t, w, fake, func(o *assistant.ModelOptions) { o.Timeout = 300 * time.Millisecond })
	t0 := time.Now()
	r := w.askModel(m, boss, "which approvals are stuck?")
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("the answer took %s with a 300ms timeout", d)
	}
	must(t, r.Text, "The language model did not answer within 300ms.", "Here is the simple answer:", "approvals waiting")
	// Not understood by the rules either: the message alone.
	r = w.askModel(m, boss, "tell me a joke about the weather today")
	must(t, r.Text, "did not answer within 300ms", "I could not answer that without it")
}

func TestModel_Malformed(t *testing.T) {
	tests := []struct {
		name   string
		script openaitest.Script
		want   []string
	}{
		{"http 500", func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Status: 500} },
			[]string{"The language model returned an error (HTTP 500).", "Here is the simple answer:", "Jane Doe"}},
		{"http 401", func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Status: 401} },
			[]string{"refused the configured API key"}},
		{"http 429", func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Status: 429} },
			[]string{"is busy (rate limited)"}},
		{"not json", func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Raw: "{choices: oops"} },
			[]string{"could not be reached or sent an answer I could not read", "Jane Doe"}},
		{"no choices", func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{NoChoices: true} },
			[]string{"gave no answer", "Jane Doe"}},
		{"empty text", func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Content: "  "} },
			[]string{"gave no answer"}},
		{"bad arguments, then an answer", func(n int, req openaitest.Request) openaitest.Reply {
			if n == 0 {
				return openaitest.Reply{ToolCalls: []openaitest.ToolCall{
					openaitest.Call("b1", "case_status", `{"case": jane`),
					openaitest.Call("b2", "find_cases", `{"who":"jane"}`),
					openaitest.Call("b3", "stats", `{"from":"last tuesday"}`),
					openaitest.Call("b4", "open_tasks", `{"department":"marketing"}`),
				}}
			}
			var errs []string
			for _, id := range []string{"b1", "b2", "b3", "b4"} {
				r, _ := req.Result(id)
				errs = append(errs, r)
			}
			return openaitest.Reply{Content: strings.Join(errs, "\n")}
		}, []string{
			`{"error":"the arguments of case_status are not valid: invalid character 'j'`,
			`{"error":"the arguments of find_cases are not valid: json: unknown field \"who\""}`,
			`{"error":"\"last tuesday\" is not a date like 2026-11-25"}`,
			`{"error":"department \"marketing\" is not one of it, finance, security, hr, legal"}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			m := newModel(t, w, openaitest.New(t, tt.script))
			r := w.askModel(m, boss, "where is Jane's offboarding?")
			must(t, r.Text, tt.want...)
		})
	}
}

// Logs say what happened, never the question, the answer, case data or
// the key.
func TestModel_LogsNoBodies(t *testing.T) {
	w := newWorld(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fake := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c", "case_status", `{"case":"jane"}`)}}
		}
		return openaitest.Reply{Content: "Jane Doe secret answer"}
	})
	m := newModel(t, w, fake, func(o *assistant.ModelOptions) { o.Logger = log })
	w.askModel(m, boss, "where is Jane's offboarding?")
	bad := newModel(t, w, openaitest.New(t, func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Status: 401} }),
		func(o *assistant.ModelOptions) { o.Logger = log })
	w.askModel(bad, boss, "where is Jane's offboarding?")
	must(t, logs.String(), "answered with the model", "reason=http_401")
	mustNot(t, logs.String(), "Jane", "jane", testKey, "secret answer")
}

// An Azure OpenAI resource gets Azure's path and api-key header, and by
// default an api-version with tool calling: the question is answered by
// the model with its tools, not by the rules.
func TestModel_AzureBaseURL(t *testing.T) {
	for _, host := range []string{"https://acme.openai.azure.com", "https://acme.cognitiveservices.azure.com/"} {
		t.Run(host, func(t *testing.T) {
			w := newWorld(t)
			fake := openaitest.New(t, func(n int, _ openaitest.Request) openaitest.Reply {
				if n == 0 {
					return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c1", "case_status", `{"case":"jane"}`)}}
				}
				return openaitest.Reply{Content: "Jane's case is open."}
			})
			hc := &http.Client{Transport: redirect{to: strings.TrimSuffix(fake.URL, "/v1")}}
			m := newModel(t, w, fake, func(o *assistant.ModelOptions) {
				o.BaseURL, o.Model, o.HTTPClient = host, "offboard-gpt4o", hc
			})
			if r := w.askModel(m, boss, "where is Jane's offboarding?"); r.Text != "Jane's case is open." {
				t.Fatalf("reply %q", r.Text)
			}
			reqs := fake.Requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2 (a tool round, then the answer)", len(reqs))
			}
			req := reqs[0]
			if req.Path != "/openai/deployments/offboard-gpt4o/chat/completions" || req.APIKey != testKey || req.Authorization != "" {
				t.Errorf("path %q, api-key %q, authorization %q", req.Path, req.APIKey, req.Authorization)
			}
			if req.APIVersion != assistant.DefaultAzureAPIVersion || len(req.ToolNames()) == 0 {
				t.Errorf("api-version %q with tools %v", req.APIVersion, req.ToolNames())
			}
		})
	}
}

// An api-version from before tool calling (go-openai's own default,
// 2023-05-15) is refused by Azure with 400 for the tools argument: the
// asker is told why, and the log names the cause.
func TestModel_AzureOldAPIVersion(t *testing.T) {
	w := newWorld(t)
	var logs bytes.Buffer
	fake := openaitest.New(t, func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Content: "hi"} })
	hc := &http.Client{Transport: redirect{to: strings.TrimSuffix(fake.URL, "/v1")}}
	m := newModel(t, w, fake, func(o *assistant.ModelOptions) {
		o.BaseURL, o.Model, o.HTTPClient, o.APIVersion = "https://acme.openai.azure.com", "offboard-gpt4o", hc, "2023-05-15"
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	r := w.askModel(m, boss, "where is Jane's offboarding?")
	if !strings.Contains(r.Text, "does not accept tools") || !strings.Contains(r.Text, "api_version") {
		t.Errorf("reply %q", r.Text)
	}
	if len(fake.Requests()) != 0 {
		t.Errorf("the fake answered a request with tools on 2023-05-15")
	}
	must(t, logs.String(), "reason=tools_unsupported")
}

// redirect sends every request to a local server, keeping path and
// headers: the stand-in for DNS pointing an Azure host at the fake.
type redirect struct{ to string }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	u := *req.URL
	base, _ := req.URL.Parse(r.to)
	u.Scheme, u.Host = base.Scheme, base.Host
	out := req.Clone(req.Context())
	out.URL, out.Host = &u, base.Host
	return http.DefaultTransport.RoundTrip(out)
}

// Ollama and vLLM need no key: no Authorization header at all.
func TestModel_NoKey(t *testing.T) {
	w := newWorld(t)
	fake := openaitest.New(t, func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Content: "hi"} })
	m := newModel(t, w, fake, func(o *assistant.ModelOptions) { o.APIKey = "" })
	w.askModel(m, boss, "hello")
	if a := fake.Requests()[0].Authorization; a != "" {
		t.Errorf("authorization %q with no key", a)
	}
}

// A long question is cut before it is sent, a long answer before it is
// shown, both on a character boundary.
func TestModel_Lengths(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("é", 3000) // 6000 bytes
	fake := openaitest.New(t, func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Content: long} })
	m := newModel(t, w, fake)
	r := w.askModel(m, boss, long)
	q := fake.Requests()[0].Messages[1].Content
	if len(q) > 2000 || !utf8.ValidString(q) || !strings.HasPrefix(long, q) {
		t.Errorf("question sent: %d bytes, valid UTF-8 %v", len(q), utf8.ValidString(q))
	}
	if len(r.Text) > 3500+len("…") || !utf8.ValidString(r.Text) || !strings.HasSuffix(r.Text, "…") {
		t.Errorf("answer shown: %d bytes, valid UTF-8 %v", len(r.Text), utf8.ValidString(r.Text))
	}
}

// Everything sent to the model passes the redactor: a secret pasted into
// the question, and stored text that reaches a tool result (here the
// manager's address stands in for a secret the store missed).
func TestModel_Redactor(t *testing.T) {
	const pasted = "xoxb-pasted-secret-0123456789"
	const stored = "mona.manager@example.com"
	w := newWorld(t)
	fake := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c1", "case_status", `{"case":"jane"}`)}}
		}
		return openaitest.Reply{Content: "Jane's case is underway."}
	})
	m := newModel(t, w, fake, func(o *assistant.ModelOptions) { o.Redactor = offboard.NewRedactor(pasted, stored) })
	w.askModel(m, boss, "is Jane done? my token is "+pasted)
	reqs := fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	sent, _ := json.Marshal(reqs[1].Messages)
	if strings.Contains(string(sent), pasted) || strings.Contains(string(sent), stored) {
		t.Fatalf("a secret reached the model:\n%s", sent)
	}
	if n := strings.Count(string(sent), offboard.Redacted); n < 2 {
		t.Errorf("%d redactions in what was sent, want the question and the tool result:\n%s", n, sent)
	}
}
