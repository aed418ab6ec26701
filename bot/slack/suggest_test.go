package slack

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

// newSuggestWorld runs the platform over socket mode against a fake
// Slack, with people as the directory that answers person pickers (nil:
// none); Hana (ackHR) is HR.
func newSuggestWorld(tb testing.TB, people bot.PeopleFinder) *ackWorld {
	tb.Helper()
	s := slacktest.New(tb)
	s.AddUser(ackHR, "Hana HR", "hana@example.com")
	s.AddChannel("CHR", "hr", true)
	db, err := store.Open(filepath.Join(tb.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	roles := func(e string) []offboard.Role {
		if e == "hana@example.com" {
			return []offboard.Role{offboard.RoleHR}
		}
		return nil
	}
	eng := flowstest.New(tb, flowstest.Options{Store: db, Location: time.UTC, Roles: roles})
	router, err := bot.New(bot.Options{Engine: eng, Roles: roles, People: people})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := New(Options{AppToken: slacktest.AppToken, BotToken: slacktest.BotToken, APIURL: s.APIURL(),
		Router: router, Engine: eng, HRChannel: "CHR"})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	s.WaitConnected(tb, 1, 10*time.Second)
	return &ackWorld{s: s, p: p}
}

type suggestion struct {
	Options []struct {
		Text struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Value string `json:"value"`
	} `json:"options"`
}

func (w *ackWorld) suggest(t *testing.T, user, typed string) suggestion {
	t.Helper()
	env := w.s.SendBlockSuggestion(user, "employee", "employee", typed, bot.FormOpenCase, "CHR\n")
	raw := w.s.WaitAck(t, env, 5*time.Second)
	var got suggestion
	if raw == nil || json.Unmarshal(raw, &got) != nil || got.Options == nil {
		t.Fatalf("ack of a block_suggestion %s, want an options list", raw)
	}
	return got
}

// TestPlatform_Suggest: the modal's person picker is answered from
// offboard's directory over socket mode, for HR only; a typed email the
// directory does not know is still offered.
func TestPlatform_Suggest(t *testing.T) {
	dir := offboard.NewDirectory("okta")
	dir.Set("okta", []offboard.Person{
		{Email: "mona.manager@example.com", Name: "Mona Manager"},
		{Email: "jane.doe@example.com", Name: "Jane Doe"},
	}, time.Now())
	w := newSuggestWorld(t, dir)
	w.s.AddUser("UIVAN", "Ivan IT", "ivan@example.com")

	got := w.suggest(t, ackHR, "mon")
	if len(got.Options) != 1 || got.Options[0].Value != "mona.manager@example.com" ||
		got.Options[0].Text.Text != "Mona Manager (mona.manager@example.com)" || got.Options[0].Text.Type != "plain_text" {
		t.Errorf("HR typing %q got %+v, want Mona Manager", "mon", got.Options)
	}
	got = w.suggest(t, ackHR, "new.hire@example.com")
	if len(got.Options) != 1 || got.Options[0].Value != "new.hire@example.com" {
		t.Errorf("a typed email the directory lacks: %+v, want it offered as typed", got.Options)
	}
	if got := w.suggest(t, "UIVAN", "mon"); len(got.Options) != 0 {
		t.Errorf("IT (who may not open cases) was shown %+v", got.Options)
	}
}

// TestPlatform_SuggestEmptyDirectory: with no directory the picker still
// takes a typed email, and nothing else.
func TestPlatform_SuggestEmptyDirectory(t *testing.T) {
	w := newSuggestWorld(t, nil)
	if got := w.suggest(t, ackHR, "jane"); len(got.Options) != 0 {
		t.Errorf("no directory, but %+v", got.Options)
	}
	got := w.suggest(t, ackHR, "Jane.Doe@example.com")
	if len(got.Options) != 1 || got.Options[0].Value != "jane.doe@example.com" {
		t.Errorf("typed email: %+v", got.Options)
	}
}
