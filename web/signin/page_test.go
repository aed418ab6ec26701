package signin_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/web/signin"
)

// The signed-out page (and a refused sign-in) wears the console's look,
// and its CSP allows exactly its inline stylesheet: a changed byte would
// leave the page bare in the browser.
func TestAuth_PageStyle(t *testing.T) {
	a, err := signin.New(signin.Options{AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, signin.SignOutPath, nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !strings.Contains(string(body), "You are signed out of offboard.") {
		t.Fatalf("signed-out page: %d\n%s", rec.Code, body)
	}
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindSubmatch(body)
	if m == nil || !strings.Contains(string(m[1]), ".topbar{") || !strings.Contains(string(body), `class="topbar"`) {
		t.Fatalf("the page has no shared stylesheet and top bar:\n%s", body)
	}
	sum := sha256.Sum256(m[1])
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, want) || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q does not allow exactly the inline style (%s)", csp, want)
	}
}
