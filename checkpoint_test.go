package offboard_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestCheckpoint_VerifySignature(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cp := offboard.SignCheckpoint(offboard.Checkpoint{Seq: 42, Head: strings.Repeat("ab", 32),
		Time: time.Date(2026, 12, 1, 10, 0, 0, 5, time.FixedZone("CET", 3600)), Prev: strings.Repeat("cd", 32)}, key)
	if err := cp.VerifySignature(pub); err != nil {
		t.Fatalf("a fresh checkpoint does not verify: %v", err)
	}
	if cp.KeyID != offboard.CheckpointKeyID(pub) || cp.Version != offboard.CheckpointVersion || cp.Time.Location() != time.UTC {
		t.Fatalf("checkpoint %+v", cp)
	}
	// Every signed field is covered: changing any one breaks the signature.
	for name, change := range map[string]func(*offboard.Checkpoint){
		"seq":  func(c *offboard.Checkpoint) { c.Seq++ },
		"head": func(c *offboard.Checkpoint) { c.Head = strings.Repeat("00", 32) },
		"time": func(c *offboard.Checkpoint) { c.Time = c.Time.Add(time.Nanosecond) },
		"prev": func(c *offboard.Checkpoint) { c.Prev = "" },
		"sig":  func(c *offboard.Checkpoint) { c.Sig = base64.StdEncoding.EncodeToString(make([]byte, 64)) },
	} {
		c := cp
		change(&c)
		if err := c.VerifySignature(pub); err == nil {
			t.Errorf("changed %s still verifies", name)
		}
		if c.Digest() == cp.Digest() {
			t.Errorf("changed %s keeps the digest the next checkpoint links to", name)
		}
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if err := cp.VerifySignature(other); err == nil || !strings.Contains(err.Error(), "not by the given public key") {
		t.Errorf("another key: %v", err)
	}
}

func TestParsePublicKey(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pemPub, err := offboard.MarshalPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := offboard.MarshalSigningKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{string(pemPub), "base64:" + base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(pub) + "\n"} {
		got, err := offboard.ParsePublicKey(in)
		if err != nil || !got.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "hello", string(pemKey), base64.StdEncoding.EncodeToString(pub[:31])} {
		if _, err := offboard.ParsePublicKey(in); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", in)
		}
	}
	back, err := offboard.ParseSigningKey(string(pemKey))
	if err != nil || !back.Equal(key) {
		t.Fatalf("ParseSigningKey round trip: %v", err)
	}
	if _, err := offboard.ParseSigningKey(string(pemPub)); err == nil {
		t.Error("a public key was accepted as the signing key")
	}
}
