package teams_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// The audit checkpoint goes to its channel as a new thread, its file
// line intact (verify rebuilds the file from it).
func TestPlatform_PostText(t *testing.T) {
	w := newWorld(t)
	router, err := bot.New(bot.Options{Engine: w.eng})
	if err != nil {
		t.Fatal(err)
	}
	p, err := teams.New(teams.Options{AppID: teamstest.AppID, AppPassword: teamstest.AppPassword, TenantID: teamstest.TenantID,
		OpenIDMetadataURL: w.issuer.MetadataURL(), LoginURL: w.login.URL(), ServiceURL: w.conn.URL(),
		OffboardingChannelID: teamstest.ChannelID, Router: router, Engine: w.eng})
	if err != nil {
		t.Fatal(err)
	}
	const audit = "19:audit@thread.tacv2"
	line := `{"v":1,"seq":7,"head":"ab12","time":"2026-12-01T09:00:00Z","key_id":"k","prev":"","sig":"c2ln+/=="}`
	if err := p.PostText(t.Context(), audit, "Audit checkpoint: event 7\n```\n"+line+"\n```"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range w.conn.Conversations() {
		if c.ChannelID == audit {
			for _, a := range w.conn.Activities(c.ID) {
				got = append(got, a.Text)
			}
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], line) {
		t.Fatalf("audit channel holds %q; want one thread with the line %s", got, line)
	}
}
