package teams_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

func TestPostDigest(t *testing.T) {
	w := newWorld(t)
	router, err := bot.New(bot.Options{Engine: w.eng})
	if err != nil {
		t.Fatal(err)
	}
	p, err := teams.New(teams.Options{AppID: teamstest.AppID, AppPassword: teamstest.AppPassword, TenantID: teamstest.TenantID,
		OpenIDMetadataURL: w.issuer.MetadataURL(), LoginURL: w.login.URL(), ServiceURL: w.conn.URL(),
		OffboardingChannelID: teamstest.ChannelID, Router: router, Engine: w.eng,
		DepartmentChannels: map[offboard.Department]string{offboard.DeptIT: "19:it@thread.tacv2",
			offboard.DeptFinance: "19:fin@thread.tacv2", offboard.DeptSecurity: "19:sec@thread.tacv2"}})
	if err != nil {
		t.Fatal(err)
	}
	d := offboard.Digest{
		At: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		Open: []offboard.DigestCase{{ID: "OFF-0001", Name: "Jane Doe", Kind: offboard.Voluntary, LastDay: "2026-12-31",
			Settled: 3, Total: 12, Departments: []offboard.Department{offboard.DeptIT, offboard.DeptFinance}}},
		Overdue: map[offboard.Department][]offboard.DigestTask{offboard.DeptFinance: {{CaseID: "OFF-0001", Key: "final_expenses",
			Title: "Settle the final expense report", Department: offboard.DeptFinance, Overdue: 26 * time.Hour}}},
		Waiting: []offboard.DigestApproval{{ID: "OFF-0001-A1", CaseID: "OFF-0001", TaskKey: "transfer_drive",
			Department: offboard.DeptIT, Approver: "mona@example.com", Waiting: 2 * time.Hour}},
	}
	if err := p.PostDigest(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	in := func(channel string) []string {
		var out []string
		for _, c := range w.conn.Conversations() {
			if c.ChannelID == channel {
				for _, a := range w.conn.Activities(c.ID) {
					out = append(out, a.Text)
				}
			}
		}
		return out
	}
	all := in(teamstest.ChannelID)
	if len(all) != 1 || !has(all[0], "Jane Doe", "Settle the final expense report", "OFF-0001-A1") {
		t.Fatalf("Offboarding channel digest = %q", all)
	}
	if it := in("19:it@thread.tacv2"); len(it) != 1 || strings.Contains(it[0], "Settle the final") || !strings.Contains(it[0], "OFF-0001-A1") {
		t.Fatalf("IT digest = %q", it)
	}
	if fin := in("19:fin@thread.tacv2"); len(fin) != 1 || !strings.Contains(fin[0], "Settle the final") {
		t.Fatalf("finance digest = %q", fin)
	}
	if sec := in("19:sec@thread.tacv2"); len(sec) != 0 {
		t.Fatalf("security has nothing in the digest but got %q", sec)
	}
	// An empty digest posts nothing.
	before := len(w.conn.Conversations())
	if err := p.PostDigest(t.Context(), offboard.Digest{At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := len(w.conn.Conversations()); n != before {
		t.Fatal("an empty digest posted")
	}
}
