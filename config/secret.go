package config

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
)

// Secret is a credential. Every way of printing it — fmt (all verbs),
// encoding/json, encoding.TextMarshaler (so YAML too) and log/slog — shows
// "[redacted]", or "" when it is empty. Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret value. Call it only where the value is sent to
// the service that needs it.
func (s Secret) Reveal() string { return string(s) }

// Equal reports in constant time whether the secret equals v. An empty
// secret equals nothing.
func (s Secret) Equal(v string) bool {
	if s == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(s), []byte(v)) == 1
}

// String returns "[redacted]", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns a quoted "[redacted]" (or "") for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// Format implements fmt.Formatter so that no verb, not even a wrong one
// such as %d or %x, prints the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, s.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", s.String())
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// secretField is one secret key with its *_file sibling.
type secretField struct {
	path  string // dotted path of the secret key, e.g. "okta.api_token"
	value *Secret
	file  *string
}

// secretFields lists every secret of c with its *_file sibling.
func (c *Config) secretFields() []secretField {
	fields := []secretField{
		{"okta.api_token", &c.Okta.APIToken, &c.Okta.APITokenFile},
		{"okta.private_key", &c.Okta.PrivateKey, &c.Okta.PrivateKeyFile},
		{"entra.client_secret", &c.Entra.ClientSecret, &c.Entra.ClientSecretFile},
		{"entra.private_key", &c.Entra.PrivateKey, &c.Entra.PrivateKeyFile},
		{"google.service_account_key", &c.Google.ServiceAccountKey, &c.Google.ServiceAccountKeyFile},
		{"jamf.client_secret", &c.Jamf.ClientSecret, &c.Jamf.ClientSecretFile},
		{"hris.bamboohr.webhook_secret", &c.HRIS.BambooHR.WebhookSecret, &c.HRIS.BambooHR.WebhookSecretFile},
		{"hris.bamboohr.previous_webhook_secret", &c.HRIS.BambooHR.PreviousWebhookSecret, &c.HRIS.BambooHR.PreviousWebhookSecretFile},
		{"hris.bamboohr.api_key", &c.HRIS.BambooHR.APIKey, &c.HRIS.BambooHR.APIKeyFile},
		{"hris.generic.token", &c.HRIS.Generic.Token, &c.HRIS.Generic.TokenFile},
		{"slack.app_token", &c.Slack.AppToken, &c.Slack.AppTokenFile},
		{"slack.bot_token", &c.Slack.BotToken, &c.Slack.BotTokenFile},
		{"teams.app_password", &c.Teams.AppPassword, &c.Teams.AppPasswordFile},
		{"assistant.api_key", &c.Assistant.APIKey, &c.Assistant.APIKeyFile},
		{"console.token", &c.Console.Token, &c.Console.TokenFile},
		{"metrics.token", &c.Metrics.Token, &c.Metrics.TokenFile},
		{"audit.signing_key", &c.Audit.SigningKey, &c.Audit.SigningKeyFile},
		// Only the file: store.etcd.password has no yaml key.
		{"store.etcd.password", &c.Store.Etcd.Password, &c.Store.Etcd.PasswordFile},
	}
	for i := range c.API.Tokens {
		t := &c.API.Tokens[i]
		fields = append(fields, secretField{indexPath("api.tokens", i) + ".token", &t.Token, &t.TokenFile})
	}
	return fields
}

// maxSecretFile bounds what is read from a *_file (a typo pointing at a
// huge file or a device must not hang the start).
const maxSecretFile = 64 << 10

// resolveSecrets reads every *_file secret, relative to baseDir. A key set
// both ways, a missing or unreadable file, and a file other users may
// touch or its group may write are problems; the secret stays empty then.
func (c *Config) resolveSecrets(baseDir string, v *validator) {
	for _, f := range c.secretFields() {
		fileKey := f.path + "_file"
		if *f.file == "" {
			continue
		}
		if *f.value != "" {
			v.add(f.path, "set either %s or %s, not both", f.path, fileKey)
			continue
		}
		name := *f.file
		if !filepath.IsAbs(name) {
			name = filepath.Join(baseDir, name)
		}
		s, err := readSecretFile(name)
		if err != nil {
			v.add(fileKey, "%v", err)
			continue
		}
		*f.value = Secret(s)
	}
}

// unsafeSecretBits are the mode bits a secret file must not have: any
// access by other users, and writing by the group. Group read stays
// allowed: Kubernetes mounts secrets group-readable for the pod's fsGroup.
const unsafeSecretBits = 0o027

// unsafeModeReason says which unsafe bits perm has, for the message.
func unsafeModeReason(perm os.FileMode) string {
	switch {
	case perm&0o004 != 0:
		return "is readable by every user"
	case perm&0o002 != 0:
		return "is writable by every user"
	case perm&0o001 != 0:
		return "gives other users access"
	default:
		return "is writable by its group"
	}
}

func readSecretFile(name string) (string, error) {
	fi, err := os.Stat(name)
	if err != nil {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("secret file %s does not exist", name)
		}
		return "", fmt.Errorf("cannot read secret file: %v", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("secret file %s is not a regular file", name)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&unsafeSecretBits != 0 {
		return "", fmt.Errorf("secret file %s %s (mode %04o); run chmod 600 %s", name, unsafeModeReason(perm), perm, name)
	}
	fh, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("cannot read secret file: %v", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("cannot read secret file %s: %v", name, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("secret file %s is larger than %d KiB", name, maxSecretFile>>10)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", name)
	}
	return s, nil
}

// Secrets returns the value of every secret in c, for the redactor that
// keeps them out of logs, the store, chat and the model. It walks the
// whole Config, so a Secret field added later is found without a list
// to keep up to date.
func (c *Config) Secrets() []string {
	var out []string
	collectSecrets(reflect.ValueOf(c).Elem(), &out)
	return out
}

var secretType = reflect.TypeFor[Secret]()

func collectSecrets(v reflect.Value, out *[]string) {
	if v.Type() == secretType {
		if s := v.String(); s != "" {
			*out = append(*out, s)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collectSecrets(v.Elem(), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				collectSecrets(v.Field(i), out)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			collectSecrets(v.Index(i), out)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			collectSecrets(it.Value(), out)
		}
	}
}
