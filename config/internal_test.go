package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLineOf(t *testing.T) {
	src := `company:
  name: x
okta:
  org_url: https://x
api:
  tokens:
    - name: a
      role: hr
    - name: b

      role: it
licenses:
  "google.workspace": 3
base: &base
  workers: 3
runner:
  <<: *base
  max_attempts: 2
`
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want int
	}{
		{"company", 1},
		{"company.name", 2},
		{"okta.org_url", 4},
		{"api.tokens", 6},
		{"api.tokens[0]", 7},
		{"api.tokens[0].role", 8},
		{"api.tokens[1].role", 11},
		{"api.tokens[2].role", 0},
		{`licenses["google.workspace"]`, 13},
		{"runner.workers", 15}, // through the merge key
		{"runner.max_attempts", 18},
		{"okta.api_token", 0},
		{"slack.bot_token", 0},
		{"company.name.deeper", 0},
		{"api.tokens[x]", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := lineOf(&root, tt.path); got != tt.want {
			t.Errorf("lineOf(%q) = %d, want %d", tt.path, got, tt.want)
		}
	}
	if lineOf(nil, "company") != 0 {
		t.Error("lineOf(nil) != 0")
	}
}

func TestKeyPath(t *testing.T) {
	tests := []struct{ path, key, want string }{
		{"", "slack", "slack"},
		{"slack", "bot_token", "slack.bot_token"},
		{"licenses", "google.workspace", `licenses["google.workspace"]`},
		{"licenses", "", `licenses[""]`},
	}
	for _, tt := range tests {
		if got := keyPath(tt.path, tt.key); got != tt.want {
			t.Errorf("keyPath(%q, %q) = %q, want %q", tt.path, tt.key, got, tt.want)
		}
	}
}

func TestCommentStart(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{"# all comment", 0},
		{"a: b # c", 5},
		{"a: b#c", -1},
		{`a: "b # c"`, -1},
		{`a: "b \" # c" # d`, 14},
		{`a: 'it''s # x' # y`, 15},
		{`a: Bob's # x`, 9},
		{"\t# tab", 1},
		{"a: [x, 'y #'] # z", 14},
	}
	for _, tt := range tests {
		if got := commentStart(tt.line); got != tt.want {
			t.Errorf("commentStart(%q) = %d, want %d", tt.line, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"slack", "teams", "okta", "api_token", "time_zone"}
	tests := []struct{ in, want string }{
		{"slak", "slack"},
		{"Slack", "slack"},
		{"time-zone", "time_zone"},
		{"api_tokn", "api_token"},
		{"okt", "okta"},
		{"zzz", ""},
		{"unrelated_key", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestYAMLProblems(t *testing.T) {
	type inner struct {
		A int `yaml:"a"`
	}
	type doc struct {
		In inner `yaml:"in"`
	}
	src := "in:\n  a: x\n  b: 1\n"
	var d doc
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	err := dec.Decode(&d)
	if err == nil {
		t.Fatal("no error")
	}
	var got []string
	for _, p := range yamlProblems(err) {
		got = append(got, p.String())
	}
	want := []string{
		`3: unknown key "b"`,
		`2: cannot unmarshal !!str ` + "`x`" + ` into int`,
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("problems %q do not contain %q", got, w)
		}
	}
	var m map[string]int
	err = yaml.Unmarshal([]byte("a: 1\na: 2\n"), &m)
	if p := yamlProblems(err); len(p) != 1 || p[0].String() != `2: key "a" is set twice (first at line 1)` {
		t.Errorf("duplicate key problems = %+v (from %v)", p, err)
	}
	var root yaml.Node
	err = yaml.Unmarshal([]byte("a: [\n"), &root)
	if p := yamlProblems(err); len(p) != 1 || p[0].Line == 0 || strings.HasPrefix(p[0].Message, "yaml:") {
		t.Errorf("syntax error problems = %+v (from %v)", p, err)
	}
}

// TestExample_DocumentsEveryKey keeps config.example.yaml complete: every
// key of Config (except the *_file siblings, which the header explains, and
// the fields of root-package types) must appear in it as "key:".
func TestExample_DocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	pkg := reflect.TypeFor[Config]().PkgPath()
	var visit func(t reflect.Type, prefix string)
	visit = func(typ reflect.Type, prefix string) {
		for typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map || typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() != pkg {
			return
		}
		info := &structInfo{fields: map[string]reflect.Type{}}
		addStructFields(info, typ, 0)
		for _, name := range info.names {
			if strings.HasSuffix(name, "_file") {
				continue
			}
			re := regexp.MustCompile(`(^|[\s{,#-])` + regexp.QuoteMeta(name) + `:`)
			if !re.MatchString(text) {
				t.Errorf("config.example.yaml does not document %s%s", prefix, name)
			}
			visit(info.fields[name], prefix+name+".")
		}
	}
	visit(reflect.TypeFor[Config](), "")
}
