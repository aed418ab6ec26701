package offboard_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules keeps the package layout of DESIGN.md true: one SDK in
// one package, a pure domain, only cmd/offboard importing the engine,
// connectors that never import each other.
func TestImportRules(t *testing.T) {
	const mod = "github.com/offboard-dev/offboard"
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps,Standard", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Imports    []string
		Deps       []string
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 3 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	// SDK → the one package that may import it (cmd/offboard wires all).
	owners := map[string]string{
		"go.etcd.io/bbolt":                        mod + "/store",
		"github.com/robfig/cron/v3":               mod + "/flows/runner",
		"github.com/slack-go/slack":               mod + "/bot/slack",
		"github.com/infracloudio/msbotbuilder-go": mod + "/bot/teams",
		"github.com/okta/okta-sdk-golang/v2":      mod + "/connectors/okta",
		"github.com/sashabaranov/go-openai":       mod + "/bot/assistant",
		"github.com/coreos/go-oidc/v3":            mod + "/web/signin",
	}
	isStd := func(path string) bool { return !strings.Contains(strings.Split(path, "/")[0], ".") }
	rel := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, mod), "/") }
	for _, p := range pkgs {
		name := rel(p.ImportPath)
		// Imports lists the non-test files' imports: tests may build a
		// real engine.
		if name != "cmd/offboard" && name != "flows" && slices.Contains(p.Imports, mod+"/flows") {
			t.Errorf("%s imports flows; only cmd/offboard may, the others use offboard.CaseService", name)
		}
		for _, imp := range p.Imports {
			for sdk, owner := range owners {
				if (imp == sdk || strings.HasPrefix(imp, sdk+"/")) && p.ImportPath != owner && !strings.HasPrefix(p.ImportPath, owner+"/") && name != "cmd/offboard" {
					t.Errorf("%s imports %s; only %s may", name, imp, rel(owner))
				}
			}
		}
		switch {
		case p.ImportPath == mod:
			for _, d := range p.Deps {
				if !isStd(d) {
					t.Errorf("the domain package must import only the standard library; it depends on %s", d)
				}
			}
		case name == "flows":
			for _, imp := range p.Imports {
				for _, banned := range []string{"/store", "/connectors", "/bot", "/web", "/config"} {
					if strings.HasPrefix(imp, mod+banned) {
						t.Errorf("flows imports %s; the engine meets others only through root interfaces", rel(imp))
					}
				}
			}
		case strings.HasPrefix(name, "bot/slack") || strings.HasPrefix(name, "bot/teams"):
			// Chat platforms are leaves: they reach the engine through bot
			// and the root types, never the store or each other.
			platform := strings.SplitN(name, "/", 3)[1]
			for _, imp := range p.Imports {
				r := rel(imp)
				if !strings.HasPrefix(imp, mod) {
					continue
				}
				for _, banned := range []string{"store", "connectors", "web", "flows/runner", "bot/slack", "bot/teams"} {
					if (r == banned || strings.HasPrefix(r, banned+"/")) && !strings.HasPrefix(r, "bot/"+platform) {
						t.Errorf("%s imports %s; chat platforms stay out of the store, connectors, web, the runner and each other", name, r)
					}
				}
			}
		case strings.HasPrefix(name, "connectors/"):
			top := strings.SplitN(name, "/", 3)[1]
			for _, imp := range p.Imports {
				r := rel(imp)
				if !strings.HasPrefix(imp, mod) {
					continue
				}
				if strings.HasPrefix(r, "flows") || strings.HasPrefix(r, "bot") || strings.HasPrefix(r, "store") || strings.HasPrefix(r, "web") {
					t.Errorf("%s imports %s; connectors stay out of flows, bot, store and web", name, r)
				}
				if strings.HasPrefix(r, "connectors/") && !strings.HasPrefix(r, "connectors/"+top) {
					t.Errorf("%s imports %s; connectors never import each other", name, r)
				}
			}
		}
	}
}
