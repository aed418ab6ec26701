package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// A list cut at its limit says how many it left out; --limit all (or 0)
// shows every case.
func TestCasesList_Limit(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	// The CLI opens the store read-only: the cases are written as serve
	// would write them.
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	a, err := wire(cfg, discardLogger(), db, wireOptions{})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	for i := range 55 {
		if _, err := a.engine.Apply(context.Background(), offboard.OpenCase{By: offboard.System("test"),
			Employee: offboard.Employee{Email: fmt.Sprintf("p%02d@example.com", i)}, Kind: offboard.Involuntary}); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	db.Close()
	count := func(out string) int { return strings.Count(out, "@example.com") }
	code, out, errOut := runCLI("cases", "list", "--config", cfgPath)
	if code != 0 || count(out) != 50 || !strings.Contains(out, "50 of 55 shown") {
		t.Errorf("default: %d, %d rows\n%s%s", code, count(out), out, errOut)
	}
	for _, all := range []string{"all", "0"} {
		code, out, _ = runCLI("cases", "list", "--config", cfgPath, "--limit", all)
		if code != 0 || count(out) != 55 || strings.Contains(out, "shown") {
			t.Errorf("--limit %s: %d, %d rows", all, code, count(out))
		}
	}
	code, out, _ = runCLI("cases", "list", "--config", cfgPath, "--limit", "10")
	if code != 0 || count(out) != 10 || !strings.Contains(out, "10 of 55 shown") {
		t.Errorf("--limit 10: %d, %d rows\n%s", code, count(out), out)
	}
	code, out, errOut = runCLI("cases", "list", "--config", cfgPath, "--json")
	if code != 0 || !strings.Contains(errOut, "50 of 55 shown") {
		t.Errorf("--json: %d %q", code, errOut)
	}
	if code, _, errOut = runCLI("cases", "list", "--config", cfgPath, "--limit", "lots"); code == 0 || !strings.Contains(errOut, "--limit") {
		t.Errorf("--limit lots: %d %q", code, errOut)
	}
}
