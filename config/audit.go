package config

import (
	"path/filepath"
	"time"

	"github.com/offboard-dev/offboard"
)

// Audit configures the anchoring of the audit chain: signed checkpoints
// written outside the store (package anchor).
type Audit struct {
	// SigningKey is the Ed25519 private key (PEM, PKCS #8) that signs
	// checkpoints; offboard audit keygen writes one. Best as a file.
	SigningKey     Secret `yaml:"signing_key" json:"signing_key"`
	SigningKeyFile string `yaml:"signing_key_file" json:"signing_key_file,omitempty"`
	// CheckpointFile is the append-only JSON-lines file checkpoints go
	// to, relative to the working directory; keep it on another volume
	// than store.path.
	CheckpointFile string `yaml:"checkpoint_file" json:"checkpoint_file"`
	// CheckpointEvery is the longest time between checkpoints while the
	// chain moves; one is also written when a case closes and at
	// shutdown.
	CheckpointEvery offboard.Duration `yaml:"checkpoint_every" json:"checkpoint_every"`
	// CheckpointChannel, when set, also posts each checkpoint to a chat
	// channel: a second copy that the store's host does not control.
	CheckpointChannel CheckpointChannel `yaml:"checkpoint_channel" json:"checkpoint_channel"`
}

// CheckpointChannel names the audit channel on each chat platform.
type CheckpointChannel struct {
	// Slack is a Slack channel id (C…) the bot is a member of.
	Slack string `yaml:"slack" json:"slack"`
	// Teams is a Teams channel id (19:…@thread.tacv2) in the app's team.
	Teams string `yaml:"teams" json:"teams"`
}

// DefaultCheckpointEvery is audit.checkpoint_every's default.
const DefaultCheckpointEvery = time.Hour

// Anchored reports whether checkpoints are configured.
func (a Audit) Anchored() bool { return a.SigningKey != "" || a.CheckpointFile != "" }

// validateAudit checks that the key and the file come together, that the
// key is an Ed25519 key, and that the file is not the store itself.
func (c *Config) validateAudit(v *validator) {
	a := c.Audit
	if !a.Anchored() && a.SigningKeyFile == "" {
		if a.CheckpointChannel != (CheckpointChannel{}) {
			v.add("audit.checkpoint_channel", "needs audit.signing_key_file and audit.checkpoint_file: the channel gets a copy of the file's checkpoints")
		}
		return
	}
	keyPath := "audit.signing_key"
	if a.SigningKeyFile != "" {
		keyPath = "audit.signing_key_file"
	}
	switch {
	case a.SigningKey == "" && a.SigningKeyFile == "":
		v.add("audit.signing_key_file", "required with audit.checkpoint_file (offboard audit keygen --out FILE writes one)")
	case a.SigningKey != "":
		if _, err := offboard.ParseSigningKey(a.SigningKey.Reveal()); err != nil {
			v.add(keyPath, "not a usable signing key: %v", err)
		}
	}
	if a.CheckpointFile == "" {
		v.add("audit.checkpoint_file", "required with %s: checkpoints need a file outside the store", keyPath)
	} else if filepath.Clean(a.CheckpointFile) == filepath.Clean(c.Store.Path) {
		v.add("audit.checkpoint_file", "must not be store.path: checkpoints anchor the store from outside it")
	}
	positive(v, "audit.checkpoint_every", a.CheckpointEvery)
	if a.CheckpointChannel.Slack != "" && !c.SlackEnabled() {
		v.add("audit.checkpoint_channel.slack", "needs Slack configured (slack.app_token and slack.bot_token)")
	}
	if a.CheckpointChannel.Teams != "" && !c.TeamsEnabled() {
		v.add("audit.checkpoint_channel.teams", "needs Teams configured (teams.app_id)")
	}
}
