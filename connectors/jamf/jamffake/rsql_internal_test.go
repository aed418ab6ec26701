package jamffake

import (
	"reflect"
	"testing"
)

func TestParseRSQL(t *testing.T) {
	allowed := []string{"a.email", "b", "command"}
	good := map[string][]clause{
		`a.email=="x@y.z"`:             {{"a.email", "x@y.z"}},
		`a.email=="q\"uote\\d"`:        {{"a.email", `q"uote\d`}},
		`b==bare;command==DEVICE_LOCK`: {{"b", "bare"}, {"command", "DEVICE_LOCK"}},
		`a.email=="semi;colon"`:        {{"a.email", "semi;colon"}},
	}
	for f, want := range good {
		got, err := parseRSQL(f, allowed...)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %v; want %+v", f, got, err, want)
		}
	}
	for _, f := range []string{``, `a.email!="x"`, `a.email=in=("x")`, `b==x,b==y`, `other=="x"`, `a.email=="open`,
		`b==x;`, `b==`, `b=="x"junk`, `b=gt=1`} {
		if got, err := parseRSQL(f, allowed...); err == nil {
			t.Errorf("%q parsed as %+v; want refused", f, got)
		}
	}
}
