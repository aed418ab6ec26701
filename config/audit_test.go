package config_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func signingKeyPEM(t *testing.T) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := offboard.MarshalSigningKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAudit_SigningKeyFile(t *testing.T) {
	dir := t.TempDir()
	keyText := signingKeyPEM(t)
	name := writeSecret(t, dir, "audit.key", keyText, 0o600)
	c := parse(t, fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: %q\n", name, filepath.Join(dir, "cp.jsonl")), noEnv)
	if c.Audit.SigningKey.Reveal() != strings.TrimRight(keyText, "\n") {
		t.Fatal("the signing key was not read from its file")
	}
	if _, err := offboard.ParseSigningKey(c.Audit.SigningKey.Reveal()); err != nil {
		t.Fatalf("the key read back does not parse: %v", err)
	}
	if !c.Audit.Anchored() || c.Audit.CheckpointEvery.D() != time.Hour {
		t.Errorf("anchored %v, every %s; want true, 1h", c.Audit.Anchored(), c.Audit.CheckpointEvery)
	}
	// The key is a secret like any other: the redactor gets it.
	found := false
	for _, s := range c.Secrets() {
		found = found || s == c.Audit.SigningKey.Reveal()
	}
	if !found {
		t.Error("the signing key is not among Secrets(), so the redactor would not remove it")
	}
}

func TestAudit_SigningKeyFileModes(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []int{0o644, 0o660, 0o606} {
		name := writeSecret(t, dir, fmt.Sprintf("key-%o", mode), signingKeyPEM(t), os.FileMode(mode))
		msg := parseErr(t, fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: cp.jsonl\n", name), noEnv).Error()
		for _, want := range []string{"audit.signing_key_file", name, "chmod 600"} {
			if !strings.Contains(msg, want) {
				t.Errorf("mode %04o: error\n%s\ndoes not contain %q", mode, msg, want)
			}
		}
	}
}

func TestAudit_Validate(t *testing.T) {
	dir := t.TempDir()
	good := writeSecret(t, dir, "good.key", signingKeyPEM(t), 0o600)
	rsaLike := writeSecret(t, dir, "bad.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0o600)
	notPEM := writeSecret(t, dir, "text.key", "hunter2", 0o600)
	tests := []struct {
		name, src string
		want      []string
	}{
		{"key without file", fmt.Sprintf("audit:\n  signing_key_file: %q\n", good),
			[]string{"audit.checkpoint_file", "required with audit.signing_key_file"}},
		{"file without key", "audit:\n  checkpoint_file: cp.jsonl\n",
			[]string{"audit.signing_key_file", "keygen"}},
		{"key not PKCS8", fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: cp.jsonl\n", rsaLike),
			[]string{"audit.signing_key_file", "not a usable signing key", "PKCS #8"}},
		{"key not PEM", fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: cp.jsonl\n", notPEM),
			[]string{"audit.signing_key_file", "PRIVATE KEY"}},
		{"file is the store", fmt.Sprintf("store:\n  path: data/offboard.db\naudit:\n  signing_key_file: %q\n  checkpoint_file: data/./offboard.db\n", good),
			[]string{"audit.checkpoint_file", "must not be store.path"}},
		{"every zero", fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: cp.jsonl\n  checkpoint_every: 0s\n", good),
			[]string{"audit.checkpoint_every"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := parseErr(t, tt.src, noEnv).Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("the error quotes the key file's content:\n%s", msg)
			}
		})
	}
}

func TestAudit_CheckpointChannel(t *testing.T) {
	dir := t.TempDir()
	key := writeSecret(t, dir, "audit.key", signingKeyPEM(t), 0o600)
	msg := parseErr(t, fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: cp.jsonl\n  checkpoint_channel:\n    slack: C123\n    teams: \"19:x@thread.tacv2\"\n", key), noEnv).Error()
	for _, w := range []string{"audit.checkpoint_channel.slack", "needs Slack configured", "audit.checkpoint_channel.teams", "needs Teams configured"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error\n%s\ndoes not contain %q", msg, w)
		}
	}
	msg = parseErr(t, "slack:\n  app_token: xapp-1\n  bot_token: xoxb-1\naudit:\n  checkpoint_channel:\n    slack: C123\n", noEnv).Error()
	if !strings.Contains(msg, "audit.checkpoint_channel") || !strings.Contains(msg, "needs audit.signing_key_file") {
		t.Errorf("a channel without anchoring: %s", msg)
	}
	c := parse(t, fmt.Sprintf("slack:\n  app_token: xapp-1\n  bot_token: xoxb-1\naudit:\n  signing_key_file: %q\n  checkpoint_file: cp.jsonl\n  checkpoint_channel:\n    slack: C123\n", key), noEnv)
	if c.Audit.CheckpointChannel.Slack != "C123" {
		t.Fatalf("channel = %q", c.Audit.CheckpointChannel.Slack)
	}
}
