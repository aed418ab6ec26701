package teams_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// A department channel the app is not installed in does not hold up any
// case: the threads open, the other departments hear, HR is told once.
func TestPlatform_BadDepartmentChannel(t *testing.T) {
	w := newWorld(t)
	router, err := bot.New(bot.Options{Engine: w.eng})
	if err != nil {
		t.Fatal(err)
	}
	const it, fin = "19:it@thread.tacv2", "19:fin@thread.tacv2"
	p, err := teams.New(teams.Options{AppID: teamstest.AppID, AppPassword: teamstest.AppPassword, TenantID: teamstest.TenantID,
		OpenIDMetadataURL: w.issuer.MetadataURL(), LoginURL: w.login.URL(), ServiceURL: w.conn.URL(),
		OffboardingChannelID: teamstest.ChannelID, Router: router, Engine: w.eng,
		DepartmentChannels: map[offboard.Department]string{offboard.DeptIT: it, offboard.DeptFinance: fin}})
	if err != nil {
		t.Fatal(err)
	}
	w.conn.RefuseChannel(fin)
	for _, email := range []string{"jane@example.com", "john@example.com"} {
		cmd := openJane()
		cmd.Employee.Email = email
		res, err := w.eng.Apply(t.Context(), cmd)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Notify(t.Context(), offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID}); err != nil {
			t.Fatalf("notify %s: %v", email, err)
		}
	}
	var itHeard, told int
	for _, c := range w.conn.Conversations() {
		if c.ChannelID == it {
			itHeard++
		}
		for _, a := range w.conn.Activities(c.ID) {
			if strings.Contains(a.Text, fin) {
				told++
			}
		}
	}
	if itHeard != 2 {
		t.Errorf("IT heard of %d cases, want 2", itHeard)
	}
	if told != 1 {
		t.Errorf("HR was told about the finance channel %d times, want once", told)
	}
}
