package teams_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// Every forged or misdirected token is refused with 401, and the bot
// neither acts nor answers.
func TestValidator_Refusals(t *testing.T) {
	w := newWorld(t)
	claims := func(change func(map[string]any)) map[string]any {
		c := teamstest.Claims(teamstest.AppID, w.conn.URL())
		if change != nil {
			change(c)
		}
		return c
	}
	tests := []struct {
		name  string
		auth  string
		tweak func(map[string]any) // of the activity
	}{
		{"wrong issuer", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(func(c map[string]any) { c["iss"] = "https://sts.windows.net/evil/" }))), nil},
		{"wrong audience", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(func(c map[string]any) { c["aud"] = "another-bot" }))), nil},
		{"expired", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-6 * time.Minute).Unix() }))), nil},
		{"not yet valid", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(func(c map[string]any) { c["nbf"] = time.Now().Add(6 * time.Minute).Unix() }))), nil},
		{"alg none", bearer(teamstest.SignRaw(map[string]any{"alg": "none", "kid": teamstest.KeyTeams}, claims(nil), nil)), nil},
		{"HS256", bearer(teamstest.SignRaw(map[string]any{"alg": "HS256", "kid": teamstest.KeyTeams}, claims(nil), nil)), nil},
		{"serviceUrl mismatch", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(func(c map[string]any) { c["serviceurl"] = "https://evil.example/" }))), nil},
		{"key not endorsed for msteams", bearer(w.issuer.Sign(teamstest.KeyOther, claims(nil))), nil},
		{"token of a foreign tenant", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(func(c map[string]any) { c["tid"] = "99999999-0000-0000-0000-000000000000" }))), nil},
		{"activity from a foreign tenant", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(nil))), func(a map[string]any) {
			a["channelData"] = map[string]any{"tenant": map[string]any{"id": "99999999-0000-0000-0000-000000000000"}}
		}},
		{"activity from another channel", bearer(w.issuer.Sign(teamstest.KeyTeams, claims(nil))), func(a map[string]any) { a["channelId"] = "webchat" }},
		{"no bearer", "", nil},
		{"not a bearer", "Basic aGFuYTpwdw==", nil},
		{"garbage", "Bearer not.a.jwt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.conn.Activities(""))
			act := w.text(hana, "a:hana-personal", "personal", "list")
			if tt.tweak != nil {
				tt.tweak(act)
			}
			if code := w.postAuth(act, tt.auth); code != http.StatusUnauthorized {
				t.Fatalf("answered %d, want 401", code)
			}
			if n := len(w.conn.Activities("")); n != before {
				t.Fatalf("the bot answered a refused activity")
			}
		})
	}
	// Within the allowed skew, a token is still good.
	t.Run("OK with skew", func(t *testing.T) {
		act := w.text(hana, "a:hana-personal", "personal", "help")
		tok := w.issuer.Sign(teamstest.KeyTeams, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }))
		if code := w.postAuth(act, bearer(tok)); code != http.StatusOK {
			t.Fatalf("answered %d, want 200", code)
		}
	})
}

// An unknown kid makes the validator fetch the key set once more, then
// refuse; another unknown kid within the minute fetches nothing.
func TestValidator_UnknownKid(t *testing.T) {
	w := newWorld(t)
	w.mustPost(w.text(hana, "a:hana-personal", "personal", "help"))
	fetched := w.issuer.JWKSFetches()
	if fetched != 1 {
		t.Fatalf("key set fetched %d times for the first activity, want 1", fetched)
	}
	w.mustPost(w.text(hana, "a:hana-personal", "personal", "help"))
	if n := w.issuer.JWKSFetches(); n != fetched {
		t.Fatalf("a known kid fetched the keys again (%d fetches)", n)
	}
	for i, want := range []int{fetched + 1, fetched + 1} {
		tok := w.issuer.Sign("rotated-key-7", teamstest.Claims(teamstest.AppID, w.conn.URL()))
		if code := w.postAuth(w.text(hana, "a:hana-personal", "personal", "help"), bearer(tok)); code != http.StatusUnauthorized {
			t.Fatalf("unknown kid #%d answered %d, want 401", i+1, code)
		}
		if n := w.issuer.JWKSFetches(); n != want {
			t.Fatalf("after unknown kid #%d the key set was fetched %d times, want %d", i+1, n, want)
		}
	}
	// Known keys keep working.
	w.mustPost(w.text(hana, "a:hana-personal", "personal", "help"))
}

func bearer(tok string) string {
	if tok == "" {
		return ""
	}
	return "Bearer " + tok
}
