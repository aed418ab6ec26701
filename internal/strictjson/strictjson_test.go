package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestWalk(t *testing.T) {
	var paths []string
	err := Walk([]byte(`{"a":1,"b":{"c":[{"d":true},{"e":null}],"f":"x"}}`), func(p string) error {
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "b.c", "b.c[0].d", "b.c[1].e", "b.f"}; !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	for body, want := range map[string]string{
		`{"email":"a","email":"b"}`:     "email",
		`{"e":{"x":1,"y":2,"x":3}}`:     "e.x",
		`{"l":[{"k":1},{"k":2,"k":3}]}`: "l[1].k",
		`{"email":"a","EMAIL":"b"}`:     "", // two keys; the exact-case check refuses EMAIL
		`{"email":"a"}`:                 "",
	} {
		err := Walk([]byte(body), func(string) error { return nil })
		var dup *DuplicateKeyError
		if got := errors.As(err, &dup); got != (want != "") || got && dup.Path != want {
			t.Errorf("%s: %v, want a duplicate at %q", body, err, want)
		}
	}
	if err := Walk([]byte(`{} {}`), func(string) error { return nil }); !errors.Is(err, ErrTrailing) {
		t.Errorf("trailing: %v", err)
	}
	if err := Walk([]byte(`{"a":`), func(string) error { return nil }); err == nil {
		t.Error("truncated JSON passed")
	}
}

func TestKnown(t *testing.T) {
	type inner struct {
		Email string `json:"email"`
		Skip  string `json:"-"`
	}
	type outer struct {
		Employee inner             `json:"employee"`
		Flag     *bool             `json:"flag,omitempty"`
		Extra    map[string]string `json:"extra"`
	}
	fields, open := Known(reflect.TypeOf(&outer{}))
	for path, want := range map[string]bool{
		"employee": true, "employee.email": true, "flag": true, "extra": true, "extra.anything": true,
		"EMPLOYEE": false, "employee.EMAIL": false, "employee.Email": false, "employee.-": false, "employee.Skip": false, "other": false,
	} {
		if got := Allowed(path, fields, open); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", path, got, want)
		}
	}
}

// Walk accepts exactly the single JSON values encoding/json accepts,
// less those with a key given twice in one object.
func FuzzWalk(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":[1,{"c":2}]}}`, `{"a":1,"a":2}`, `[]`, `"x"`, `{`, `{} {}`, ` {"a":null} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Walk(data, func(string) error { return nil })
		var dup *DuplicateKeyError
		if errors.As(err, &dup) {
			return
		}
		if valid := json.Valid(data); valid != (err == nil) {
			t.Fatalf("Walk(%q) = %v, json.Valid = %v", data, err, valid)
		}
	})
}

// TestWalk_DeepNesting: a 1 MB body of nested arrays ("[[[[…]]]]") made
// Walk keep a path per level ("[0][0]…", three bytes longer each), so
// memory grew with the square of the depth: one authenticated POST of
// 500,000 levels to /api/v1/cases took 24 GB and offboard was killed by
// the kernel. Walk now refuses nesting deeper than MaxDepth, at once.
func TestWalk_DeepNesting(t *testing.T) {
	for _, open := range []string{"[", `{"a":`} {
		const depth = 2000 // enough to show it; 500,000 would take the machine down
		data := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(map[string]string{"[": "]", `{"a":`: "}"}[open], depth))
		visits := 0
		err := Walk(data, func(string) error { visits++; return nil })
		if !errors.Is(err, ErrTooDeep) {
			t.Fatalf("%s×%d: err %v, want ErrTooDeep", open, depth, err)
		}
		if visits > MaxDepth {
			t.Errorf("%s×%d: %d keys visited before refusing, want at most %d", open, depth, visits, MaxDepth)
		}
	}
	// The deepest document allowed still walks.
	ok := strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)
	if err := Walk([]byte(ok), func(string) error { return nil }); err != nil {
		t.Fatalf("%d levels: %v", MaxDepth, err)
	}
}
