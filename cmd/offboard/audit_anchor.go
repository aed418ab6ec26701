package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/anchor"
	"github.com/offboard-dev/offboard/config"
)

// cmdAuditKeygen writes a new checkpoint signing key and prints its
// public half for the auditors to keep.
func cmdAuditKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	flags, _ := newFlags("audit keygen", "Write a new Ed25519 key that signs audit checkpoints (PEM, PKCS #8, mode 0600) and print its public key.\n"+
		"Point audit.signing_key_file at the file; give the public key to your auditors, who keep it away from this server.\n"+
		"Never overwrites a file.", stderr)
	out := flags.String("out", "", "write the private key to this new file (required)")
	if err := parseFlags(flags, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: audit keygen needs --out FILE", errUsage)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	keyPEM, err := offboard.MarshalSigningKey(key)
	if err != nil {
		return err
	}
	pubPEM, err := offboard.MarshalPublicKey(pub)
	if err != nil {
		return err
	}
	// O_EXCL: an existing key may have signed checkpoints already;
	// replacing it would orphan them.
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; audit keygen never overwrites a key (checkpoints it signed need it): choose another --out", *out)
	}
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(keyPEM); err != nil {
		f.Close()
		return fmt.Errorf("write key %s: %w", *out, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write key %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key %s: %w", *out, err)
	}
	fmt.Fprintf(stderr, "wrote the checkpoint signing key to %s (mode 0600); set audit.signing_key_file to it and keep it secret\n", *out)
	fmt.Fprintf(stdout, "Public key (give it to your auditors; audit verify --public-key takes the PEM file or the base64 line):\n%sbase64:%s\nkey id: %s\n",
		pubPEM, base64.StdEncoding.EncodeToString(pub), offboard.CheckpointKeyID(pub))
	return nil
}

// checkpointKey is the public key checkpoints are verified with and where
// it came from.
type checkpointKey struct {
	pub ed25519.PublicKey
	// fromServer says it was derived from the signing key on this
	// machine, not given by the auditor.
	fromServer bool
}

// loadCheckpointKey reads --public-key (a file, or the key itself), or
// derives the key from the configured signing key.
func loadCheckpointKey(cfgPath, flagValue string) (checkpointKey, error) {
	if flagValue != "" {
		text := flagValue
		if b, err := os.ReadFile(flagValue); err == nil {
			text = string(b)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return checkpointKey{}, fmt.Errorf("--public-key: %w", err)
		}
		pub, err := offboard.ParsePublicKey(text)
		if err != nil {
			return checkpointKey{}, fmt.Errorf("%w: --public-key: %v", errUsage, err)
		}
		return checkpointKey{pub: pub}, nil
	}
	cfg, err := loadConfig(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		cfg, err = config.Default(), nil
	}
	if err != nil {
		return checkpointKey{}, err
	}
	if cfg.Audit.SigningKey == "" {
		return checkpointKey{}, fmt.Errorf("%w: --checkpoints needs --public-key KEY (no audit.signing_key_file is configured here)", errUsage)
	}
	key, err := offboard.ParseSigningKey(cfg.Audit.SigningKey.Reveal())
	if err != nil {
		return checkpointKey{}, fmt.Errorf("audit.signing_key: %w", err)
	}
	return checkpointKey{pub: key.Public().(ed25519.PublicKey), fromServer: true}, nil
}

// verifyCheckpoints checks the checkpoint file against db and prints what
// holds; it returns what is broken ("" when nothing is).
func verifyCheckpoints(ctx context.Context, db storeBackend, name string, key checkpointKey, stdout io.Writer) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("--checkpoints: %w", err)
	}
	defer f.Close()
	chainLen, _, err := db.AuditHead(ctx)
	if err != nil {
		return "", err
	}
	res, err := anchor.Verify(ctx, f, key.pub, db.AuditHashes, chainLen)
	if err != nil {
		return "", err
	}
	if key.fromServer {
		fmt.Fprintf(stdout, "checkpoint key %s: derived from this server's audit.signing_key; an auditor should pass the public key they kept (--public-key)\n",
			offboard.CheckpointKeyID(key.pub))
	}
	if res.OK() {
		fmt.Fprintf(stdout, "checkpoints OK: %d signed checkpoints, the chain holds every signed head (newest: event %d of %d)\n", res.Checkpoints, res.LastSeq, chainLen)
		if chainLen > res.LastSeq {
			fmt.Fprintf(stdout, "  events %d to %d come after the newest checkpoint: the chain proves them, no checkpoint anchors them yet\n", res.LastSeq+1, chainLen)
		}
		return "", nil
	}
	const shown = 20
	lines := res.Problems
	if len(lines) > shown {
		lines = append(lines[:shown:shown], fmt.Sprintf("… and %d more", len(res.Problems)-shown))
	}
	head := fmt.Sprintf("checkpoints BROKEN (%d of %d checkpoints valid)", res.Valid, res.Checkpoints)
	switch {
	case res.BadSeq != 0 && res.GoodSeq == 0:
		head = fmt.Sprintf("checkpoints BROKEN at event %d: the first altered event is at or before event %d (no earlier checkpoint to narrow it; %d of %d checkpoints valid)",
			res.BadSeq, res.BadSeq, res.Valid, res.Checkpoints)
	case res.BadSeq != 0:
		head = fmt.Sprintf("checkpoints BROKEN at event %d: the first altered event is after event %d and at or before event %d (%d of %d checkpoints valid)",
			res.BadSeq, res.GoodSeq, res.BadSeq, res.Valid, res.Checkpoints)
	}
	return head + ":\n  " + strings.Join(lines, "\n  "), nil
}
