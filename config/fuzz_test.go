package config_test

import (
	"os"
	"testing"

	"github.com/offboard-dev/offboard/config"
)

// FuzzParse feeds Parse arbitrary text: it may refuse it, never panic, and
// whatever it accepts must validate again.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../config.example.yaml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"slak: 1\n",
		"company:\n  name: ${UNSET}\n",
		"company: [\n",
		"a: &a [*a, *a]\n",
		"base: &b {name: x}\ncompany:\n  <<: *b\n",
		"okta:\n  deactivate_after: 7x\n",
		"api:\n  tokens:\n    - {name: a, token: '0123456789abcdef', role: hr}\n    - {name: a, role: boss}\n",
		"roles: {hr: [a@b], x: 1}\n",
		"runner: {workers: 1e9}\n",
		"playbooks:\n  - name: p\n    tasks: [{key: k, due: 3d, params: {a: b}}]\n",
		"licenses: {'a.b': .nan, '': -1}\n",
		"${A:-x}: $$ # ${B}\n",
		"--- \n...\n",
		"? [a]\n: b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, "fuzz.yaml", func(k string) (string, bool) {
			if k == "SET" {
				return "value", true
			}
			return "", false
		})
		if err != nil {
			_ = err.Error()
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate refuses: %v", err)
		}
	})
}
