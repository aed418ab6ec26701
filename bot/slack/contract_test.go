package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// webAPIMethod names the Web API method behind each slack-go call this
// package makes. A new call fails TestContract_MethodsAndScopes until it
// is added here, and so checked against Slack's spec and our manifest.
var webAPIMethod = map[string]string{
	"ArchiveConversationContext":            "conversations.archive",
	"CreateConversationContext":             "conversations.create",
	"ForceInviteUsersToConversationContext": "conversations.invite",
	"GetUserByEmailContext":                 "users.lookupByEmail",
	"GetUserInfoContext":                    "users.info",
	"GetUsersContext":                       "users.list",
	"OpenViewContext":                       "views.open",
	"PostEphemeralContext":                  "chat.postEphemeral",
	"PostMessageContext":                    "chat.postMessage",
	"SetTopicOfConversationContext":         "conversations.setTopic",
	"UpdateMessageContext":                  "chat.update",
}

type specMethod struct {
	TokenScope string   `json:"token_scope"`
	Scopes     []string `json:"scopes"`
	Errors     []string `json:"errors"`
}

// manifestScopes reads the bot scopes from slack-app-manifest.yaml
// (oauth_config.scopes.bot: one "- scope  # why" per line).
func manifestScopes(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "slack-app-manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var scopes []string
	in := false
	for line := range strings.Lines(string(raw)) {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "bot:":
			in = true
		case in && strings.HasPrefix(trimmed, "- "):
			scope, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "- "), "#")
			scopes = append(scopes, strings.TrimSpace(scope))
		case in && trimmed != "":
			in = false
		}
	}
	if len(scopes) == 0 {
		t.Fatal("no bot scopes found in the manifest")
	}
	return scopes
}

// Every Web API method this package calls exists in Slack's published
// spec, the manifest grants a scope the spec accepts for it, and every
// Slack error code the code tests for is one the spec lists for the
// methods we call.
func TestContract_MethodsAndScopes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "slack-web-api.subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Methods map[string]specMethod `json:"methods"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	granted := manifestScopes(t)

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	callRE := regexp.MustCompile(`p\.api\.([A-Za-z]+)\(`)
	codeRE := regexp.MustCompile(`isSlackError\(err, "([a-z_]+)"\)`)
	used := map[string]bool{}
	var codes []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range callRE.FindAllStringSubmatch(string(src), -1) {
			method, ok := webAPIMethod[m[1]]
			if !ok {
				t.Errorf("%s calls slack-go's %s: add its Web API method to webAPIMethod", f, m[1])
				continue
			}
			used[method] = true
		}
		for _, m := range codeRE.FindAllStringSubmatch(string(src), -1) {
			codes = append(codes, m[1])
		}
	}
	var known []string
	for method := range used {
		m, ok := spec.Methods[method]
		if !ok {
			t.Errorf("%s is not in Slack's Web API spec", method)
			continue
		}
		known = append(known, m.Errors...)
		// The spec lists a scope per conversation type (any one will do)
		// and the bot-token scope in the token's description.
		accepted := append([]string{m.TokenScope}, m.Scopes...)
		if m.TokenScope == "none" {
			continue
		}
		if !slices.ContainsFunc(accepted, func(s string) bool { return slices.Contains(granted, s) }) {
			t.Errorf("%s needs one of %v; slack-app-manifest.yaml grants %v", method, accepted, granted)
		}
	}
	for _, c := range codes {
		if !slices.Contains(known, c) {
			t.Errorf("the code tests for Slack error %q, which no method we call lists", c)
		}
	}
	if len(used) < len(webAPIMethod) {
		t.Errorf("webAPIMethod lists calls the code no longer makes: used %d of %d", len(used), len(webAPIMethod))
	}
}
