package teams_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// BenchmarkPlatform_Click measures the answer to a card click through the
// real adapter: token check, identity lookup, engine command and the
// in-place card update, until /api/messages says 200. Each iteration is
// a burst of 50 people clicking at once. Budget: p99 < 50 ms (Teams
// allows 15 s).
func BenchmarkPlatform_Click(b *testing.B) {
	w := newBenchWorld(b)
	const cases = 50
	for i := range cases {
		if _, err := w.eng.Apply(b.Context(), offboard.OpenCase{By: offboard.Actor{Kind: offboard.ActorPerson, Email: hana.Email},
			Kind: offboard.Involuntary, Employee: offboard.Employee{Email: fmt.Sprintf("person%d@example.com", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	// One real thread and card to click on, so each click's in-place
	// update finds its message.
	if err := w.p.Notify(b.Context(), offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: "OFF-0001"}); err != nil {
		b.Fatal(err)
	}
	v, err := w.eng.GetCase(b.Context(), offboard.System("bench"), "OFF-0001")
	if err != nil {
		b.Fatal(err)
	}
	room, _ := v.Case.Room("teams")
	auth := "Bearer " + w.issuer.Sign(teamstest.KeyTeams, teamstest.Claims(teamstest.AppID, w.conn.URL()))
	keys := []string{"device_recover", "cancel_card", "final_expenses", "rotate_shared_credentials", "review_access_logs", "remove_from_vault", "signed_documents"}
	var mu sync.Mutex
	var lat []time.Duration
	click := 0
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for range 50 {
			i := click
			click++
			wg.Go(func() {
				ref := offboard.ActionRef{Verb: offboard.VerbAssign, CaseID: offboard.FormatCaseID(uint64(1 + i%cases)), TaskKey: keys[(i/cases)%len(keys)]}
				act := w.submit(ivan, room.ID, "channel", room.DepartmentCards["it"], map[string]any{"ofb_click": ref.Encode()})
				body, _ := json.Marshal(act)
				req, _ := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(body))
				req.Header.Set("Authorization", auth)
				start := time.Now()
				resp, err := http.DefaultClient.Do(req)
				d := time.Since(start)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
