package offboard

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
)

// SecretSet stands in for a secret's value everywhere outside the engine:
// the JSON API, case views, cards, the assistant.
const SecretSet = "set"

// SecretDevicePIN prefixes the name of a device lock PIN:
// "device_pin:<device id>".
const SecretDevicePIN = "device_pin:"

// Bounds on what a connector may hand over as secrets; a result past
// them is refused, naming the secret but never its value.
const (
	MaxSecrets          = 50
	MaxSecretNameLen    = 200
	MaxSecretValueBytes = 512
)

// Secrets are values only the people who may run a task see (a lock PIN),
// by name. The engine keeps the values on the task and gives them out
// only through RevealSecrets; every view it returns holds SecretSet
// instead. However printed — JSON, fmt, slog — a Secrets shows its names
// only, so a task that reaches a log or a response by mistake still
// carries no value.
type Secrets map[string]string

// Names returns the secrets' names, sorted.
func (s Secrets) Names() []string { return slices.Sorted(maps.Keys(s)) }

// Hidden returns the names with SecretSet for each value (nil when empty).
func (s Secrets) Hidden() Secrets {
	if len(s) == 0 {
		return nil
	}
	out := make(Secrets, len(s))
	for k := range s {
		out[k] = SecretSet
	}
	return out
}

// Check reports what makes secrets unusable: too many, an empty or long
// name, an empty or long value. The error names the secret only.
func (s Secrets) Check() error {
	if len(s) > MaxSecrets {
		return Errorf(EINVALID, "%d secrets on one result; at most %d", len(s), MaxSecrets)
	}
	for _, name := range s.Names() {
		switch v := s[name]; {
		case strings.TrimSpace(name) == "" || len(name) > MaxSecretNameLen:
			return Errorf(EINVALID, "a secret's name must be 1 to %d bytes", MaxSecretNameLen)
		case v == "" || len(v) > MaxSecretValueBytes:
			return Errorf(EINVALID, "secret %q must hold 1 to %d bytes", name, MaxSecretValueBytes)
		}
	}
	return nil
}

// MarshalJSON writes each name with SecretSet.
func (s Secrets) MarshalJSON() ([]byte, error) { return json.Marshal(map[string]string(s.Hidden())) }

// String lists the names: "[secrets: device_pin:d1]".
func (s Secrets) String() string { return "[secrets: " + strings.Join(s.Names(), ", ") + "]" }

// GoString is String, for %#v.
func (s Secrets) GoString() string { return s.String() }

// Format prints String for every verb.
func (s Secrets) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue logs the names only.
func (s Secrets) LogValue() slog.Value { return slog.StringValue(s.String()) }

// SecretLabel says what a secret is, for people: "lock PIN of device d1".
func SecretLabel(name string) string {
	if id, ok := strings.CutPrefix(name, SecretDevicePIN); ok {
		return "lock PIN of device " + id
	}
	return "secret " + name
}

// HasDevicePIN reports whether the secrets hold a device lock PIN.
func (s Secrets) HasDevicePIN() bool {
	for k := range s {
		if strings.HasPrefix(k, SecretDevicePIN) {
			return true
		}
	}
	return false
}
