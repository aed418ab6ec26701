package microsoft_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

func newEntra(t *testing.T, s *graphtest.Server, secret string) *microsoft.Entra {
	t.Helper()
	c, err := microsoft.New(microsoft.Options{TenantID: graphtest.TenantID, ClientID: graphtest.ClientID,
		ClientSecret: secret, GraphURL: s.URL, LoginURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	return microsoft.NewEntra(c, nil)
}

func TestEntra_Doctor(t *testing.T) {
	s := graphtest.New(t)
	jane(s)
	ctx := context.Background()
	for _, r := range newEntra(t, s, graphtest.ClientSecret).Doctor(ctx) {
		if r.Status != offboard.CheckOK {
			t.Fatalf("check %+v", r)
		}
	}
	got := newEntra(t, s, graphtest.ClientSecret).DeleteAfter(720 * time.Hour).Doctor(ctx)
	if last := got[len(got)-1]; last.Status != offboard.CheckWarn || !strings.Contains(last.Detail, "User.ReadWrite.All") {
		t.Fatalf("with delete_after, last check %+v, want a warning that the delete permission is not checked", last)
	}
	s.SetPermissions("User.Read.All")
	got = newEntra(t, s, graphtest.ClientSecret).Doctor(ctx)
	last := got[len(got)-1]
	if last.Status != offboard.CheckFail || !strings.Contains(last.Detail, "UserAuthenticationMethod.Read.All") || !strings.Contains(last.Fix, "README") {
		t.Fatalf("missing permission: %+v", last)
	}
	got = newEntra(t, s, "wrong-secret-value").Doctor(ctx)
	if len(got) != 1 || got[0].Status != offboard.CheckFail || !strings.Contains(got[0].Detail, "invalid_client") {
		t.Fatalf("bad secret: %+v", got)
	}
	for _, req := range s.Requests() {
		if req.Method != "GET" && !strings.HasSuffix(req.Path, "/token") {
			t.Fatalf("the doctor wrote: %s %s", req.Method, req.Path)
		}
	}
}

func TestIntune_Doctor(t *testing.T) {
	s := graphtest.New(t)
	c, err := microsoft.New(microsoft.Options{TenantID: graphtest.TenantID, ClientID: graphtest.ClientID,
		ClientSecret: graphtest.ClientSecret, GraphURL: s.URL, LoginURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	in := microsoft.NewIntune(c)
	got := in.Doctor(context.Background())
	if len(got) != 2 || got[0].Status != offboard.CheckOK || got[1].Status != offboard.CheckWarn ||
		!strings.Contains(got[1].Detail, "PrivilegedOperations.All") {
		t.Fatalf("checks %+v", got)
	}
	s.SetPermissions(graphtest.LeastPrivilege...)
	got = in.Doctor(context.Background())
	if len(got) != 1 || got[0].Status != offboard.CheckFail || !strings.Contains(got[0].Detail, "DeviceManagementManagedDevices.Read.All") ||
		!strings.Contains(got[0].Fix, "Microsoft Intune") {
		t.Fatalf("missing permission: %+v", got)
	}
}
