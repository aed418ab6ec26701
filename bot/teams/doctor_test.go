package teams

import (
	"context"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

func TestDoctor_Token(t *testing.T) {
	login := teamstest.NewLogin(t)
	res := Doctor(context.Background(), DoctorOptions{AppID: teamstest.AppID, AppPassword: teamstest.AppPassword,
		TenantID: teamstest.TenantID, LoginURL: login.URL()})
	if len(res) != 1 || res[0].Status != offboard.CheckOK {
		t.Fatalf("good secret: %+v", res)
	}
}

func TestDoctor_BadSecret(t *testing.T) {
	login := teamstest.NewLogin(t)
	login.SetPassword("the-real-secret")
	res := Doctor(context.Background(), DoctorOptions{AppID: teamstest.AppID, AppPassword: "a-wrong-secret",
		TenantID: teamstest.TenantID, LoginURL: login.URL()})
	if len(res) != 1 || res[0].Status != offboard.CheckFail || !strings.Contains(res[0].Fix, "teams.app_password") {
		t.Fatalf("bad secret: %+v", res)
	}
	// An endpoint that quotes the request quotes the secret; doctor prints neither.
	login.EchoFailures(1)
	res = Doctor(context.Background(), DoctorOptions{AppID: teamstest.AppID, AppPassword: "a-wrong-secret",
		TenantID: teamstest.TenantID, LoginURL: login.URL()})
	if strings.Contains(res[0].Detail+res[0].Fix, "a-wrong-secret") {
		t.Errorf("the secret is in the result: %+v", res[0])
	}
}
