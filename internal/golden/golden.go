// Package golden compares test output with files under testdata/ and
// rewrites them when a test binary runs with -update. Each test package
// keeps its own -update flag and passes its value. Standard library only.
package golden

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Compare checks got against testdata/<file>, or writes it there when
// update is set.
func Compare(t testing.TB, file string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run this package's tests with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run this package's tests with -update and review the diff\ngot:\n%s", path, got)
	}
}

// JSON checks v, as indented JSON with "<" and "&" left readable, against
// testdata/<name>.golden.json.
func JSON(t testing.TB, name string, v any, update bool) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	Compare(t, name+".golden.json", buf.Bytes(), update)
}
