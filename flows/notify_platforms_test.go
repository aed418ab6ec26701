package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// Each notice is queued once per wired platform, with the platform in the
// job, its id and its rate-limit group; without platforms, once for all.
func TestEngine_notify_perPlatform(t *testing.T) {
	notices := func(h *harness) map[string][]*offboard.Job {
		byKind := map[string][]*offboard.Job{}
		for _, j := range h.readyJobs() {
			if j.Kind == offboard.JobNotify {
				byKind[string(j.Notice.Kind)] = append(byKind[string(j.Notice.Kind)], j)
			}
		}
		return byKind
	}
	h := newHarness(t, func(o *flows.Options) {
		o.NoticePlatforms = func() []string { return []string{"slack", "teams"} }
	})
	h.open(offboard.Involuntary, "")
	opened := notices(h)[string(offboard.NoticeCaseOpened)]
	var got []string
	for _, j := range opened {
		got = append(got, j.Platform+" "+j.API())
		if !strings.HasSuffix(j.ID, ":"+j.Platform) || j.Notice.CaseID != j.CaseID {
			t.Errorf("job %s for %s", j.ID, j.Platform)
		}
	}
	slices.Sort(got)
	if want := []string{"slack chat:slack", "teams chat:teams"}; !slices.Equal(got, want) {
		t.Errorf("case_opened jobs: %q, want %q", got, want)
	}

	single := newHarness(t)
	single.open(offboard.Involuntary, "")
	if opened := notices(single)[string(offboard.NoticeCaseOpened)]; len(opened) != 1 || opened[0].Platform != "" || opened[0].API() != "chat" {
		t.Errorf("without platforms: %d case_opened jobs, first %+v", len(opened), opened)
	}
}
