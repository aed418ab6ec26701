package offboard_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestHumanize(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * time.Second, "30s"}, {5 * time.Minute, "5m"}, {2*time.Hour + 5*time.Minute, "2h 5m"},
		{3 * time.Hour, "3h"}, {28 * time.Hour, "1 day 4h"}, {72 * time.Hour, "3 days"},
		{80 * time.Hour, "3 days"}, {-5 * time.Minute, "5m"},
		{420 * time.Millisecond, "420ms"}, {300 * time.Microsecond, "1ms"}, {0, "0s"}, {1500 * time.Millisecond, "1s"},
	}
	for _, tt := range tests {
		if got := offboard.Humanize(tt.in); got != tt.want {
			t.Errorf("offboard.Humanize(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteAudit(t *testing.T) {
	events := []*offboard.AuditEvent{
		{Seq: 1, Time: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), Action: "case.opened", CaseID: "OFF-0001", Outcome: "ok",
			Detail: "=HYPERLINK(\"x\")", Evidence: map[string]string{"b": "2", "a": "1"}},
	}
	each := func(fn func(*offboard.AuditEvent) error) error {
		for _, e := range events {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	var buf bytes.Buffer
	n, err := offboard.WriteAudit(&buf, "csv", each)
	if err != nil || n != 1 {
		t.Fatalf("csv: %d %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if lines[0] != strings.Join(offboard.AuditCSVHeader(), ",") || len(lines) != 2 {
		t.Fatalf("csv = %q", buf.String())
	}
	if !strings.Contains(lines[1], "'=HYPERLINK") || !strings.Contains(lines[1], "a=1; b=2") {
		t.Fatalf("row %q: want the formula neutralized and evidence sorted", lines[1])
	}
	buf.Reset()
	if n, err := offboard.WriteAudit(&buf, "json", each); err != nil || n != 1 || !strings.Contains(buf.String(), `"seq":1`) {
		t.Fatalf("json: %d %v %q", n, err, buf.String())
	}
	if _, err := offboard.WriteAudit(&buf, "xml", each); err == nil {
		t.Fatal("xml accepted")
	}
}
