package main

import (
	"fmt"
	"path/filepath"
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
