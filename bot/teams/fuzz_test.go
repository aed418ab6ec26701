package teams

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// Any bearer value is refused or accepted without a panic, and nothing
// unsigned is ever accepted.
func FuzzValidator_Check(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")
	f.Add("Bearer a.b.c")
	f.Add("Bearer ...")
	f.Add("Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.AAAA")
	f.Add("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	f.Cleanup(srv.Close)
	v, err := NewValidator("app", "tenant", srv.URL, srv.Client(), time.Now)
	if err != nil {
		f.Fatal(err)
	}
	act := schema.Activity{ChannelID: "msteams", ServiceURL: "https://smba.example/"}
	f.Fuzz(func(t *testing.T, header string) {
		if _, err := v.Check(context.Background(), act, header); err == nil {
			t.Fatalf("accepted %q with no keys", header)
		}
	})
}

func FuzzParseJWT(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsiYSIsImIiXX0.c2ln")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := parseJWT(raw)
		if err == nil && tok.signed == "" {
			t.Fatal("parsed a token with nothing signed")
		}
	})
}
