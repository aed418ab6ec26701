package offboard_test

import (
	"encoding/json"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/offboard-dev/offboard"

// goPackage is what TestImportRules reads of `go list -json`.
type goPackage struct {
	ImportPath   string
	Imports      []string // of the non-test files
	TestImports  []string // of the package's own _test.go files
	XTestImports []string // of its package x_test files
	Deps         []string // everything the non-test files link, transitively
}

func (p goPackage) name() string { return rel(p.ImportPath) }

// testImports are the imports of p's tests, of both kinds.
func (p goPackage) testImports() []string {
	return append(slices.Clone(p.TestImports), p.XTestImports...)
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports,Deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 3 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// rel is a module package's path inside the module ("" for the root);
// other paths come back unchanged.
func rel(p string) string {
	if p == module {
		return ""
	}
	return strings.TrimPrefix(p, module+"/")
}

func ours(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }

func isStd(p string) bool { return !strings.Contains(strings.Split(p, "/")[0], ".") }

// under reports whether module-relative path r is dir or inside it.
func under(r, dir string) bool { return r == dir || strings.HasPrefix(r, dir+"/") }

// TestImportRules keeps the package layout of DESIGN.md true: one SDK in
// one package, a pure domain, only cmd/offboard importing the engine,
// layers that import downwards only, connectors and platforms that never
// import each other, and no test code in the production binary. The rules
// are written over path patterns, so a new connector or platform is
// covered the day it is added.
func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	byPath := map[string]goPackage{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	// SDK → the one package (with its subpackages: fakes) that may import
	// it, in code and in tests. cmd/offboard wires them all.
	owners := map[string]string{
		"go.etcd.io/bbolt":                        "store",
		"go.etcd.io/etcd":                         "store/etcdstore",
		"github.com/robfig/cron/v3":               "flows/runner",
		"github.com/slack-go/slack":               "bot/slack",
		"github.com/infracloudio/msbotbuilder-go": "bot/teams",
		"github.com/okta/okta-sdk-golang/v2":      "connectors/okta",
		"github.com/sashabaranov/go-openai":       "bot/assistant",
		"github.com/coreos/go-oidc/v3":            "web/signin",
		"google.golang.org/api":                   "connectors/google",
		"github.com/prometheus/client_golang":     "metrics",
	}
	// Layers: a package under the key never imports (in its non-test
	// files) a package under any of the values.
	banned := map[string][]string{
		"flows":        {"store", "connectors", "bot", "web", "config", "flows/runner"},
		"flows/runner": {"store", "bot", "web", "config"},
		"connectors":   {"flows", "bot", "store", "web"},
		"bot":          {"store", "connectors", "web", "flows/runner"},
		"web":          {"store", "connectors", "bot", "flows/runner"},
	}
	// Families whose members never import each other (each Slack, Teams,
	// console; each connector; each web surface) nor are imported by the
	// family's own root package: cmd/offboard puts them together.
	families := []string{"bot", "connectors", "web"}
	// testPairs are the members whose tests may use another member, as
	// serve wires them: the BambooHR event webhook reads the employee
	// through the real API client, run against its fake.
	testPairs := map[string]string{"hris": "bamboohr"}

	for _, p := range pkgs {
		name := p.name()
		if under(name, "cmd") {
			continue // main packages wire everything
		}
		if name == "" {
			for _, d := range p.Deps {
				if !isStd(d) {
					t.Errorf("the domain package must import only the standard library; it depends on %s", d)
				}
			}
		}
		type use struct {
			imp  string
			test bool
		}
		var uses []use
		for _, imp := range p.Imports {
			uses = append(uses, use{imp, false})
		}
		for _, imp := range p.testImports() {
			uses = append(uses, use{imp, true})
		}
		for _, u := range uses {
			where := name
			if u.test {
				where += " (tests)"
			}
			for sdk, owner := range owners {
				if (u.imp == sdk || strings.HasPrefix(u.imp, sdk+"/")) && !under(name, owner) {
					t.Errorf("%s imports %s; only %s may", where, u.imp, owner)
				}
			}
			if !ours(u.imp) {
				continue
			}
			r := rel(u.imp)
			// Tests outside flows build a real engine with flows/flowstest
			// and hold it as offboard.CaseService, as their code does.
			if r == "flows" && name != "flows" && !(under(name, "flows") && strings.HasSuffix(path.Base(name), "test")) {
				t.Errorf("%s imports %s; only cmd/offboard may, the others use offboard.CaseService (tests: flows/flowstest)", where, r)
			}
			for _, fam := range families {
				if !under(name, fam) || !under(r, fam) || r == fam {
					continue
				}
				member := strings.SplitN(strings.TrimPrefix(r, fam+"/"), "/", 2)[0]
				if name == fam {
					if !u.test {
						t.Errorf("%s imports %s; %s does not know its members, cmd/offboard wires them", where, r, fam)
					}
					continue
				}
				if mine := strings.SplitN(strings.TrimPrefix(name, fam+"/"), "/", 2)[0]; mine != member && !(u.test && testPairs[mine] == member) {
					t.Errorf("%s imports %s; members of %s never import each other", where, r, fam)
				}
			}
			if u.test {
				continue
			}
			for layer, bans := range banned {
				if !under(name, layer) || (layer == "flows" && under(name, "flows/runner")) {
					continue
				}
				for _, b := range bans {
					if under(r, b) && !under(name, b) {
						t.Errorf("%s imports %s; %s stays out of %s", where, r, layer, strings.Join(bans, ", "))
					}
				}
			}
		}
	}
	checkNoTestCodeLinked(t, pkgs, byPath)
}

// checkNoTestCodeLinked: test support (a package named *test, or one that
// imports testing) is linked only into tests, never into a package the
// binary may link, so `offboard` carries no fakes and no testing flags.
func checkNoTestCodeLinked(t *testing.T, pkgs []goPackage, byPath map[string]goPackage) {
	t.Helper()
	isTestSupport := func(p string) bool {
		if strings.HasSuffix(path.Base(p), "test") {
			// Runtime internals of the standard library (internal/synctest)
			// are linked into every program.
			return !(isStd(p) && (strings.HasPrefix(p, "internal/") || strings.Contains(p, "/internal/")))
		}
		if p == "testing" || strings.HasPrefix(p, "testing/") {
			return true
		}
		return slices.Contains(byPath[p].Imports, "testing")
	}
	binaries := 0
	for _, p := range pkgs {
		if isTestSupport(p.ImportPath) {
			continue
		}
		if under(p.name(), "cmd") {
			binaries++
		}
		for _, d := range p.Deps {
			if isTestSupport(d) {
				t.Errorf("%s links %s: test code stays out of what the binary links (go list -deps ./cmd/offboard)", p.name(), rel(d))
			}
		}
	}
	if binaries == 0 {
		t.Error("no package under cmd was checked")
	}
}
