package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/flows"
)

// The model answers when a key (inline or from a file) or a base URL is
// configured; the rules alone otherwise.
func TestNewAssistant(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "openai_key")
	writeFile(t, keyFile, "sk-from-file\n")
	for _, tt := range []struct {
		name, extra string
		model       bool
	}{
		{"none", "", false},
		{"key", "assistant:\n  api_key: sk-inline\n", true},
		{"key file", fmt.Sprintf("assistant:\n  api_key_file: %q\n", keyFile), true},
		{"base url", "assistant:\n  base_url: http://127.0.0.1:11434/v1\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(writeConfig(t, t.TempDir(), tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			db, err := openStore(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			e, err := flows.New(flows.Options{Store: db})
			if err != nil {
				t.Fatal(err)
			}
			a, err := newAssistant(cfg, discardLogger(), e, nil, cfg.RolesOf)
			if err != nil {
				t.Fatal(err)
			}
			_, isModel := a.(*assistant.Model)
			_, isRules := a.(*assistant.Answerer)
			if isModel != tt.model || isRules == tt.model {
				t.Errorf("assistant is %T, want the model: %v", a, tt.model)
			}
		})
	}
}

// The startup log says which answers questions, the model or the rules,
// and why; for Azure OpenAI, the api-version it will call, which decides
// whether Azure accepts the tools.
func TestStartup_AssistantLog(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		want, not   []string
	}{
		{"rules", "", []string{"the built-in rules answer questions", "no assistant.api_key or assistant.base_url"},
			[]string{"language model answers"}},
		{"openai", "assistant:\n  api_key: sk-inline\n", []string{"language model answers", "assistant.api_key is set"},
			[]string{"azure_api_version"}},
		{"azure", "assistant:\n  api_key: k\n  base_url: https://acme.openai.azure.com\n  model: offboard-gpt4o\n",
			[]string{"language model answers", "acme.openai.azure.com", "azure_api_version", "2024-10-21"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			app := startAppLogging(t, writeConfig(t, t.TempDir(), tt.extra), wireOptions{}, &logs)
			app.app.logStartup() // as serve does after wiring
			app.stop()
			for _, w := range tt.want {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("the startup log lacks %q:\n%s", w, logs.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(logs.String(), n) {
					t.Errorf("the startup log has %q", n)
				}
			}
		})
	}
}
