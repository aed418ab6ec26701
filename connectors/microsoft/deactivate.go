package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/offboard-dev/offboard/connectors"
)

// notDeleted is what entra.deactivate does not do yet, for the evidence.
const notDeleted = "the user is not deleted: deleting after a delay with an approval is not implemented yet; " +
	"delete by hand if your policy says so (Entra keeps a deleted user restorable for 30 days)"

// group is a group the user is a direct member of.
type group struct {
	ID              string   `json:"id"`
	DisplayName     string   `json:"displayName"`
	GroupTypes      []string `json:"groupTypes"`
	OnPremisesSync  *bool    `json:"onPremisesSyncEnabled"`
	MembershipRule  string   `json:"membershipRule"`
	MailEnabled     bool     `json:"mailEnabled"`
	SecurityEnabled bool     `json:"securityEnabled"`
}

// removable reports whether Graph can remove a member: not from a
// dynamic group (its rule decides) nor from one synced from on-premises
// Active Directory (changed there).
func (g group) removable() (bool, string) {
	switch {
	case slices.Contains(g.GroupTypes, "DynamicMembership") || g.MembershipRule != "":
		return false, "dynamic membership"
	case g.OnPremisesSync != nil && *g.OnPremisesSync:
		return false, "synced from on-premises Active Directory"
	}
	return true, ""
}

// license is one license the user holds.
type license struct {
	SkuID         string `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber"`
}

// licenseState says how a license was assigned.
type licenseState struct {
	SkuID           string  `json:"skuId"`
	AssignedByGroup *string `json:"assignedByGroup"`
}

// appRoleAssignment is the user's assignment to an enterprise app.
type appRoleAssignment struct {
	ID                  string `json:"id"`
	ResourceDisplayName string `json:"resourceDisplayName"`
}

// holdings are what deactivation removes and reads back.
type holdings struct {
	licenses []license // nil unless asked for
	states   []licenseState
	apps     []appRoleAssignment
	groups   []group
}

// holdingsOf reads the user's app role assignments, groups and license
// assignment states, and with details the licenses' SKU names, in one
// JSON batch.
func (c *Client) holdingsOf(ctx context.Context, userID string, details bool) (holdings, error) {
	user := "/users/" + url.PathEscape(userID)
	var apps struct {
		Value []appRoleAssignment `json:"value"`
	}
	var groups struct {
		Value []group `json:"value"`
	}
	var states struct {
		States []licenseState `json:"licenseAssignmentStates"`
	}
	var lic struct {
		Value []license `json:"value"`
	}
	calls := []call{
		{method: http.MethodGet, path: user + "/appRoleAssignments", out: &apps,
			what: "list the user's app role assignments", perm: "Directory.Read.All"},
		{method: http.MethodGet,
			path: user + "/memberOf/microsoft.graph.group?$select=id,displayName,groupTypes,onPremisesSyncEnabled,membershipRule,mailEnabled,securityEnabled",
			out:  &groups, what: "list the user's groups", perm: "GroupMember.Read.All"},
		{method: http.MethodGet, path: user + "?$select=licenseAssignmentStates", out: &states,
			what: "read how the user's licenses were assigned", perm: "User.Read.All"},
	}
	if details {
		calls = append(calls, call{method: http.MethodGet, path: user + "/licenseDetails", out: &lic,
			what: "list the user's licenses", perm: "User.Read.All"})
	}
	for _, err := range c.batch(ctx, calls) {
		if err != nil {
			return holdings{}, err
		}
	}
	return holdings{licenses: lic.Value, states: states.States, apps: apps.Value, groups: groups.Value}, nil
}

// directLicenses are the SKU ids assigned to the user directly (a
// group-based one goes with the group membership).
func directLicenses(states []licenseState) []string {
	var ids []string
	for _, s := range states {
		if s.AssignedByGroup == nil || *s.AssignedByGroup == "" {
			if !slices.Contains(ids, s.SkuID) {
				ids = append(ids, s.SkuID)
			}
		}
	}
	return ids
}

// deactivate removes what the account still holds once access is cut:
// app role assignments, group memberships and licenses, with the license
// report (SKU names and their monthly cost from `licenses:`), and reads
// each back. Entra ID has no deactivated state beyond the disabled
// account; deleting the user is not done (see notDeleted).
func (e *Entra) deactivate(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	u, err := e.c.FindUser(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := map[string]string{"user_id": u.ID, "user_principal_name": u.UserPrincipalName, "deleted": notDeleted}
	var problems []string

	// The report first: group-based licenses go with the groups.
	before, err := e.c.holdingsOf(ctx, u.ID, true)
	if err != nil {
		return connectors.Result{}, err
	}
	held, states, apps, groups := before.licenses, before.states, before.apps, before.groups
	e.licenseReport(held, ev)
	// The removals go as JSON batches: one request for up to 20.
	var removals []call
	var appNames []string
	for _, a := range apps {
		appNames = append(appNames, a.ResourceDisplayName)
		removals = append(removals, call{method: http.MethodDelete, path: "/users/" + url.PathEscape(u.ID) + "/appRoleAssignments/" + url.PathEscape(a.ID),
			what: "remove the assignment to " + a.ResourceDisplayName, perm: "AppRoleAssignment.ReadWrite.All"})
	}
	ev["app_assignments_removed"] = strings.Join(appNames, ", ")
	var removed, kept []string
	for _, g := range groups {
		if ok, why := g.removable(); !ok {
			kept = append(kept, g.DisplayName+" ("+why+")")
			continue
		}
		removals = append(removals, call{method: http.MethodDelete, path: "/groups/" + url.PathEscape(g.ID) + "/members/" + url.PathEscape(u.ID) + "/$ref",
			what: "remove the user from the group " + g.DisplayName, perm: "GroupMember.ReadWrite.All"})
		removed = append(removed, g.DisplayName)
	}
	if err := firstError(e.c.batch(ctx, removals)); err != nil {
		return connectors.Result{}, err
	}
	ev["groups_removed"] = strings.Join(removed, ", ")
	if len(kept) > 0 {
		ev["groups_kept"] = strings.Join(kept, ", ")
		problems = append(problems, "groups Graph cannot change: "+strings.Join(kept, ", "))
	}

	if direct := directLicenses(states); len(direct) > 0 {
		if err := e.c.do(ctx, call{method: http.MethodPost, path: "/users/" + url.PathEscape(u.ID) + "/assignLicense",
			body: map[string]any{"addLicenses": []any{}, "removeLicenses": direct},
			what: "remove the licenses of " + u.UserPrincipalName, perm: "LicenseAssignment.ReadWrite.All"}); err != nil {
			return connectors.Result{}, err
		}
	}

	// Read back.
	after, err := e.c.holdingsOf(ctx, u.ID, false)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("read back: %w", err)
	}
	appsAfter, groupsAfter, statesAfter := after.apps, after.groups, after.states
	if len(appsAfter) > 0 {
		problems = append(problems, fmt.Sprintf("%d app role assignments remain", len(appsAfter)))
	}
	left := 0
	for _, g := range groupsAfter {
		if ok, _ := g.removable(); ok {
			left++
		}
	}
	if left > 0 {
		problems = append(problems, fmt.Sprintf("%d group memberships remain", left))
	}
	if d := directLicenses(statesAfter); len(d) > 0 {
		problems = append(problems, fmt.Sprintf("%d directly assigned licenses remain", len(d)))
	}
	ev["read_back"] = fmt.Sprintf("%d app role assignments, %d group memberships (%d Graph cannot change), %d direct licenses",
		len(appsAfter), len(groupsAfter), len(groupsAfter)-left, len(directLicenses(statesAfter)))
	res := connectors.Result{Verified: len(problems) == 0, UserID: u.ID, Evidence: ev,
		Summary: fmt.Sprintf("Removed %d app assignments, %d groups and %d licenses of %s (the user is not deleted)",
			len(apps), len(removed), len(held), u.UserPrincipalName)}
	if len(problems) > 0 {
		res.Summary = fmt.Sprintf("Deactivation of %s is incomplete: %s", u.UserPrincipalName, strings.Join(problems, "; "))
	}
	return res, nil
}

// licenseReport puts the SKU names and, where `licenses:` prices them,
// their monthly cost in the evidence.
func (e *Entra) licenseReport(held []license, ev map[string]string) {
	var names []string
	var cost float64
	priced := false
	for _, l := range held {
		names = append(names, l.SkuPartNumber)
		if p, ok := e.licenses[strings.ToLower(l.SkuPartNumber)]; ok {
			cost += p
			priced = true
		}
	}
	ev["licenses"] = strings.Join(names, ", ")
	ev["license_count"] = strconv.Itoa(len(held))
	if priced {
		ev["monthly_seat_cost"] = fmt.Sprintf("%.2f", cost)
	}
}
