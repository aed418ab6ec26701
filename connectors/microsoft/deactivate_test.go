package microsoft_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// deactivationUser has an app, a plain group that brings a license, a
// dynamic group, and a direct license.
func deactivationUser(s *graphtest.Server) (userID, dynamic string) {
	eng := s.AddGroup(graphtest.Group{DisplayName: "Engineering", License: graphtest.License{SkuID: "ems-sku", SkuPartNumber: "EMS"}})
	dynamic = s.AddGroup(graphtest.Group{DisplayName: "All Sales", Dynamic: true})
	userID = s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", Mail: "jane@example.com", AccountEnabled: false,
		Groups:   []string{eng, dynamic},
		Licenses: []graphtest.License{{SkuID: "e3-sku", SkuPartNumber: "SPE_E3"}},
		AppRoles: []graphtest.AppRole{{Resource: "Salesforce"}, {Resource: "GitHub Enterprise"}}})
	return userID, dynamic
}

func TestEntra_Deactivate(t *testing.T) {
	s := graphtest.New(t)
	id, dynamic := deactivationUser(s)
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.deactivate", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(id)
	if len(u.AppRoles) != 0 || len(u.Licenses) != 0 || len(u.Groups) != 1 || u.Groups[0] != dynamic {
		t.Fatalf("after deactivation: %+v", u)
	}
	ev := res.Evidence
	if ev["licenses"] != "SPE_E3, EMS" && ev["licenses"] != "EMS, SPE_E3" {
		t.Fatalf("license report %q", ev["licenses"])
	}
	if ev["monthly_seat_cost"] != "46.60" || ev["groups_removed"] != "Engineering" || !strings.Contains(ev["app_assignments_removed"], "Salesforce") {
		t.Fatalf("evidence %v", ev)
	}
	if !strings.Contains(ev["deleted"], "not deleted") || !strings.Contains(ev["deleted"], "30 days") {
		t.Fatalf("the evidence must say the user is not deleted: %q", ev["deleted"])
	}
	// A dynamic group's membership cannot be removed: said, unverified.
	if res.Verified || !strings.Contains(res.Summary, "All Sales (dynamic membership)") {
		t.Fatalf("a kept dynamic group must leave the task unverified: %+v", res)
	}
	for _, r := range s.Requests() {
		if r.Method == "DELETE" && strings.HasPrefix(r.Path, "/v1.0/users/") && !strings.Contains(r.Path, "/appRoleAssignments/") {
			t.Fatalf("offboard deleted %s", r.Path)
		}
	}
}

func TestEntra_DeactivateClean(t *testing.T) {
	s := graphtest.New(t)
	eng := s.AddGroup(graphtest.Group{DisplayName: "Engineering"})
	s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", Groups: []string{eng},
		Licenses: []graphtest.License{{SkuID: "e3-sku", SkuPartNumber: "SPE_E3"}}})
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.deactivate", janeTarget)
	if err != nil || !res.Verified || res.Evidence["monthly_seat_cost"] != "36.00" {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestEntra_DeactivateMissingPermission(t *testing.T) {
	s := graphtest.New(t)
	deactivationUser(s)
	s.SetPermissions("User.Read.All", "Directory.Read.All", "GroupMember.ReadWrite.All", "AppRoleAssignment.ReadWrite.All")
	reg := newRegistry(t, s, microsoft.Options{})
	_, err := run(t, reg, "entra.deactivate", janeTarget)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "LicenseAssignment.ReadWrite.All") {
		t.Fatalf("err = %v", err)
	}
}
