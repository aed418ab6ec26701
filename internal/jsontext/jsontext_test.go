package jsontext_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/internal/jsontext"
)

func TestScalar(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"s":"4242","n":4242,"f":1.50,"b":true,"null":null,"o":{"value":"x"},"a":[1]}`))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"s": "4242", "n": "4242", "f": "1.50", "b": "true", "null": "", "o": "", "a": ""} {
		if got := jsontext.Scalar(m[k]); got != want {
			t.Errorf("Scalar(%s) = %q, want %q", k, got, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	var v any
	err := json.Unmarshal([]byte(`{"a":}`), &v)
	if got := jsontext.ErrorText(err); !strings.HasPrefix(got, "invalid JSON at byte 6: ") {
		t.Errorf("syntax error: %q", got)
	}
	err = json.Unmarshal([]byte(`[1]`), &struct{}{})
	if got := jsontext.ErrorText(err); got != err.Error() {
		t.Errorf("type error: %q", got)
	}
}
