package offboard

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CheckpointVersion is the encoding version a checkpoint signs.
const CheckpointVersion = 1

// Checkpoint anchors the audit chain outside the store: the chain's head
// at one moment, signed with a key the store never holds. Anyone who can
// rewrite the store can re-chain it so that it verifies; nobody without
// the key can write a checkpoint that agrees with the rewrite.
//
// Prev links each checkpoint to the one before it in the same file, so a
// line removed or edited in the middle breaks the link after it.
type Checkpoint struct {
	Version int `json:"v"`
	// Seq is the sequence number of the last chained event.
	Seq uint64 `json:"seq"`
	// Head is that event's hash.
	Head string    `json:"head"`
	Time time.Time `json:"time"`
	// KeyID is CheckpointKeyID of the public key that verifies Sig.
	KeyID string `json:"key_id"`
	// Prev is the Digest of the checkpoint before it ("" for the first).
	Prev string `json:"prev"`
	// Sig is the Ed25519 signature over SignedBytes, base64.
	Sig string `json:"sig"`
}

// SignedBytes is the canonical encoding the signature covers: one field a
// line, in a fixed order, so no JSON encoder's choices are signed.
func (c Checkpoint) SignedBytes() []byte {
	var b strings.Builder
	b.WriteString("offboard audit checkpoint\n")
	b.WriteString("v=" + strconv.Itoa(c.Version) + "\n")
	b.WriteString("seq=" + strconv.FormatUint(c.Seq, 10) + "\n")
	b.WriteString("head=" + c.Head + "\n")
	b.WriteString("time=" + c.Time.UTC().Format(time.RFC3339Nano) + "\n")
	b.WriteString("key_id=" + c.KeyID + "\n")
	b.WriteString("prev=" + c.Prev + "\n")
	return []byte(b.String())
}

// Digest is hex(SHA-256(SignedBytes || Sig)): what the next checkpoint's
// Prev holds.
func (c Checkpoint) Digest() string {
	h := sha256.New()
	h.Write(c.SignedBytes())
	h.Write([]byte(c.Sig))
	return hex.EncodeToString(h.Sum(nil))
}

// SignCheckpoint fills Version, KeyID and Sig of c with key.
func SignCheckpoint(c Checkpoint, key ed25519.PrivateKey) Checkpoint {
	c.Version = CheckpointVersion
	c.Time = c.Time.UTC()
	c.KeyID = CheckpointKeyID(key.Public().(ed25519.PublicKey))
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.SignedBytes()))
	return c
}

// VerifySignature reports whether pub signed c, naming what is wrong.
func (c Checkpoint) VerifySignature(pub ed25519.PublicKey) error {
	if c.Version != CheckpointVersion {
		return fmt.Errorf("unknown checkpoint version %d", c.Version)
	}
	if id := CheckpointKeyID(pub); c.KeyID != id {
		return fmt.Errorf("signed by key %s, not by the given public key %s", c.KeyID, id)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("the signature is not a base64 Ed25519 signature")
	}
	if !ed25519.Verify(pub, c.SignedBytes(), sig) {
		return errors.New("the signature does not match: the checkpoint was altered or not signed by this key")
	}
	return nil
}

// MarshalLine is c as one self-contained JSON line, newline included.
func (c Checkpoint) MarshalLine() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint: %w", err)
	}
	return append(b, '\n'), nil
}

// CheckpointKeyID names a public key: the first 16 bytes of SHA-256 of
// the raw key, hex. Checkpoints carry it so a reader sees which key
// signed without trying every key.
func CheckpointKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// MarshalSigningKey encodes key as a PEM "PRIVATE KEY" block (PKCS #8).
func MarshalSigningKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey encodes pub as a PEM "PUBLIC KEY" block (PKIX).
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParseSigningKey reads an Ed25519 private key from a PEM "PRIVATE KEY"
// block (PKCS #8), as offboard audit keygen writes it.
func ParseSigningKey(text string) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New(`want a PEM "PRIVATE KEY" block (PKCS #8), as offboard audit keygen writes it`)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS #8 private key: %v", err)
	}
	ed, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("want an Ed25519 key, got %T", k)
	}
	return ed, nil
}

// ParsePublicKey reads an Ed25519 public key from a PEM "PUBLIC KEY"
// block or from the base64 of the raw 32-byte key (what keygen prints on
// its "base64:" line).
func ParsePublicKey(text string) (ed25519.PublicKey, error) {
	text = strings.TrimSpace(text)
	if block, _ := pem.Decode([]byte(text)); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("want a PEM \"PUBLIC KEY\" block, got %q", block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a PKIX public key: %v", err)
		}
		ed, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("want an Ed25519 key, got %T", k)
		}
		return ed, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(text, "base64:"))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("want a PEM \"PUBLIC KEY\" block or the base64 of a 32-byte Ed25519 key")
	}
	return ed25519.PublicKey(raw), nil
}
