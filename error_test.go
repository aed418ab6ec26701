package offboard_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestPermanent(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"invalid", offboard.Errorf(offboard.EINVALID, "bad"), true},
		{"not found", offboard.Errorf(offboard.ENOTFOUND, "gone"), true},
		{"forbidden", offboard.Errorf(offboard.EFORBIDDEN, "no"), true},
		{"conflict", offboard.Errorf(offboard.ECONFLICT, "done"), true},
		{"wrapped conflict", fmt.Errorf("okta: %w", offboard.Errorf(offboard.ECONFLICT, "done")), true},
		{"unavailable", offboard.Errorf(offboard.EUNAVAILABLE, "down"), false},
		{"internal", offboard.Errorf(offboard.EINTERNAL, "bug"), false},
		{"plain", errors.New("connection reset"), false},
		{"rate limit", &offboard.RateLimitError{API: "okta", Reset: time.Now()}, false},
	}
	for _, tt := range tests {
		if got := offboard.Permanent(tt.err); got != tt.want {
			t.Errorf("Permanent(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTransportErrorText(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://example.okta.com/api/v1/users?search=profile.email+eq+%22jane%40example.com%22#x", Err: errors.New("connection refused")}
	got := offboard.TransportErrorText(err)
	if strings.Contains(got, "jane") || strings.Contains(got, "search") || !strings.Contains(got, `"https://example.okta.com/api/v1/users"`) || !strings.Contains(got, "connection refused") {
		t.Errorf("TransportErrorText = %q", got)
	}
	if got := offboard.TransportErrorText(errors.New("plain")); got != "plain" {
		t.Errorf("plain error = %q", got)
	}
}
