package offboard_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/offboard-dev/offboard"
)

const testPEM = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
-----END PRIVATE KEY-----
`

func TestRedactor_String(t *testing.T) {
	const pw = "s3cr+t/pass&word=42"
	r := offboard.NewRedactor(pw, "", "abc", testPEM)
	basic := base64.StdEncoding.EncodeToString([]byte(pw + ":x"))
	shifted := base64.StdEncoding.EncodeToString([]byte("u:" + pw))
	jsonPW, _ := json.Marshal(pw)
	lines := strings.Split(testPEM, "\n")
	tests := []struct{ name, in string }{
		{"raw", "token endpoint said: bad " + pw + " here"},
		{"form body", "client_id=x&" + url.Values{"client_secret": {pw}}.Encode()},
		{"path escaped", "/v1/" + url.PathEscape(pw)},
		{"json", `{"echo":` + string(jsonPW) + `}`},
		{"basic auth", "Authorization: Basic " + basic},
		{"basic auth shifted", "Authorization: Basic " + shifted},
		{"base64 url", base64.URLEncoding.EncodeToString([]byte(pw))},
		{"pem line", "key " + lines[2] + " rejected"},
		{"pem json", fmt.Sprintf("%q", testPEM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.String(tt.in)
			if !strings.Contains(got, offboard.Redacted) {
				t.Errorf("nothing redacted in %q", got)
			}
			for _, leak := range []string{pw, url.QueryEscape(pw), lines[1], lines[2], base64.StdEncoding.EncodeToString([]byte(pw))} {
				if strings.Contains(got, leak) {
					t.Errorf("%q still holds %q", got, leak)
				}
			}
			if r.Contains(got) {
				t.Errorf("Contains(%q) after redaction", got)
			}
		})
	}
	// Too short to be looked for, and text without secrets, stay.
	if got := r.String("abc and -----BEGIN PRIVATE KEY-----"); got != "abc and -----BEGIN PRIVATE KEY-----" {
		t.Errorf("changed text without secrets: %q", got)
	}
	var nilR *offboard.Redactor
	if nilR.String(pw) != pw || !nilR.Empty() || offboard.NewRedactor().String(pw) != pw {
		t.Error("a nil or empty redactor changed text")
	}
	if m := r.Map(map[string]string{"error": "x " + pw}); m["error"] != "x "+offboard.Redacted {
		t.Errorf("Map = %v", m)
	}
}

func TestRedactingHandler_Handle(t *testing.T) {
	const pw = "hunter2-but-longer"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&buf, nil)
			if format == "json" {
				h = slog.NewJSONHandler(&buf, nil)
			}
			log := slog.New(offboard.RedactingHandler(h, offboard.NewRedactor(pw)))
			log = log.With("pre", "with "+pw).WithGroup("g")
			log.Info("message "+pw,
				"s", pw,
				"err", fmt.Errorf("wrapped: %w", errors.New("echo "+url.QueryEscape(pw))),
				"bytes", []byte("b "+pw),
				"any", map[string]string{"k": pw},
				"n", 42,
				slog.Group("inner", "deep", pw, "ok", "fine"))
			out := buf.String()
			if strings.Contains(out, pw) || strings.Contains(out, url.QueryEscape(pw)) {
				t.Fatalf("secret in log:\n%s", out)
			}
			if n := strings.Count(out, offboard.Redacted); n != 7 {
				t.Errorf("%d redactions, want 7:\n%s", n, out)
			}
			if !strings.Contains(out, "42") || !strings.Contains(out, "fine") {
				t.Errorf("clean values lost:\n%s", out)
			}
		})
	}
}

func TestUpstreamText(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes
	got := offboard.UpstreamText([]byte("  " + long + "\xff "))
	if !utf8.ValidString(got) || len(got) > offboard.MaxUpstreamBody+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("UpstreamText = %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if got := offboard.UpstreamText([]byte(" short\xff ")); got != "short\uFFFD" {
		t.Errorf("UpstreamText = %q", got)
	}
}
