package bamboohr_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
)

func TestClient_Doctor(t *testing.T) {
	fake := bamboohrtest.New(t)
	res := newAPI(t, fake, bamboohrtest.Key).Doctor(context.Background())
	if len(res) != 2 || res[0].Status != offboard.CheckOK || res[1].Status != offboard.CheckOK {
		t.Fatalf("good key: %+v", res)
	}
	for _, r := range fake.Requests() {
		if r.Method != http.MethodGet && !strings.Contains(r.Path, "/reports/custom") {
			t.Errorf("doctor wrote: %s %s", r.Method, r.Path)
		}
	}
}

func TestClient_Doctor_Unauthorized(t *testing.T) {
	fake := bamboohrtest.New(t)
	res := newAPI(t, fake, "a-wrong-key").Doctor(context.Background())
	if len(res) != 1 || res[0].Status != offboard.CheckFail || !strings.Contains(res[0].Detail, "401") ||
		!strings.Contains(res[0].Fix, "hris.bamboohr.api_key") {
		t.Fatalf("bad key: %+v", res)
	}
	if strings.Contains(res[0].Detail+res[0].Fix, "a-wrong-key") {
		t.Errorf("the key is in the result")
	}
}
