package okta

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// An echoing proxy may quote the bearer token as sent, form-encoded or
// inside Basic auth: scrub removes the current and the previous token in
// each form, with the same marker as every other redaction.
func TestOAuthSource_scrub(t *testing.T) {
	cur, prev := "eyJhbGciOi.current+token/value==", "eyJhbGciOi.previous+token/value=="
	s := &oauthSource{token: accessToken{value: cur}, previous: prev}
	text := strings.Join([]string{
		"Authorization: DPoP " + cur,
		"body: token=" + url.QueryEscape(prev),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("x:"+cur)),
	}, "\n")
	got := s.scrub(text)
	for _, leak := range []string{cur, prev, url.QueryEscape(prev), "current+token", "previous+token"} {
		if strings.Contains(got, leak) {
			t.Errorf("scrubbed text still holds %q:\n%s", leak, got)
		}
	}
	if strings.Count(got, offboard.Redacted) < 3 {
		t.Errorf("want three %s markers:\n%s", offboard.Redacted, got)
	}
	if empty := (&oauthSource{}).scrub("nothing to hide"); empty != "nothing to hide" {
		t.Errorf("no token yet: %q", empty)
	}
}
