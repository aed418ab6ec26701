package google

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// workspaceProduct is the product id of every Google Workspace edition.
const workspaceProduct = "Google-Apps"

// DefaultLicenses are the Google Workspace editions (product Google-Apps)
// of the "Products and SKUs" page of Google's Enterprise License Manager
// API documentation. Legacy G Suite SKUs, Gemini and other add-ons are
// not in it: configure google.licenses to remove those too.
func DefaultLicenses() []License {
	return []License{
		{ProductID: workspaceProduct, SKUID: "1010020027", Name: "Google Workspace Business Starter"},
		{ProductID: workspaceProduct, SKUID: "1010020028", Name: "Google Workspace Business Standard"},
		{ProductID: workspaceProduct, SKUID: "1010020025", Name: "Google Workspace Business Plus"},
		{ProductID: workspaceProduct, SKUID: "1010060003", Name: "Google Workspace Enterprise Essentials"},
		{ProductID: workspaceProduct, SKUID: "1010020029", Name: "Google Workspace Enterprise Starter"},
		{ProductID: workspaceProduct, SKUID: "1010020026", Name: "Google Workspace Enterprise Standard"},
		{ProductID: workspaceProduct, SKUID: "1010020020", Name: "Google Workspace Enterprise Plus"},
		{ProductID: workspaceProduct, SKUID: "1010060001", Name: "Google Workspace Essentials"},
		{ProductID: workspaceProduct, SKUID: "1010060005", Name: "Google Workspace Enterprise Essentials Plus"},
		{ProductID: workspaceProduct, SKUID: "1010020030", Name: "Google Workspace Frontline Starter"},
		{ProductID: workspaceProduct, SKUID: "1010020031", Name: "Google Workspace Frontline Standard"},
		{ProductID: workspaceProduct, SKUID: "1010020034", Name: "Google Workspace Frontline Plus"},
	}
}

// heldLicense is a configured SKU the user holds.
type heldLicense struct {
	License
	// skuName is Google's name of the SKU.
	skuName string
}

// label names the license: the configured name, else Google's.
func (l heldLicense) label() string {
	if l.Name == "" && l.skuName != "" {
		return l.skuName
	}
	return l.License.label()
}

// heldLicenses asks for each configured SKU whether the user holds it.
// The Licensing API has no "licenses of a user" call: get takes a
// product and a SKU, so this is one request per configured SKU (a 404 is
// "not held"). listForProduct would list the whole customer's
// assignments, a cost that grows with the company.
func (g *Google) heldLicenses(ctx context.Context, email string) ([]heldLicense, error) {
	svc, err := g.c.Licensing(ctx)
	if err != nil {
		return nil, err
	}
	var held []heldLicense
	for _, l := range g.licenses {
		a, err := svc.LicenseAssignments.Get(l.ProductID, l.SKUID, email).Context(ctx).Do()
		if err != nil {
			ferr := g.c.fail(call{what: "read the " + l.label() + " license of " + email, scope: ScopeLicensing, subject: g.c.admin}, err)
			if offboard.ErrorCode(ferr) == offboard.ENOTFOUND {
				continue
			}
			return nil, ferr
		}
		held = append(held, heldLicense{License: l, skuName: a.SkuName})
	}
	return held, nil
}

func (l License) label() string {
	if l.Name != "" {
		return l.Name
	}
	return l.ProductID + "/" + l.SKUID
}

// deactivate removes the configured Workspace licenses the user holds,
// with the license report (names and monthly cost from the prices), and
// reads each back (get answers 404 once it is gone). Nothing held is
// AlreadyDone. A person the case's Vault matter holds keeps the licenses
// (a permanent error says why). Requests: one users.get, one get per
// configured SKU, and with something held the Vault check (one or two)
// and a delete and a get per held license.
func (g *Google) deactivate(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	// The Licensing API names the user by primary email: an alias or a
	// stale address would read as "holds nothing".
	u, err := g.user(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	email := u.PrimaryEmail
	held, err := g.heldLicenses(ctx, email)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := map[string]string{"user_id": u.Id, "primary_email": email,
		"skus_checked": strconv.Itoa(len(g.licenses))}
	g.licenseReport(held, ev)
	if len(held) == 0 {
		return connectors.Result{Verified: true, AlreadyDone: true, UserID: u.Id, Evidence: ev,
			Summary: fmt.Sprintf("%s holds none of the %d Google Workspace licenses offboard removes", email, len(g.licenses))}, nil
	}
	// Google: "Without a license, the user is no longer on hold." A
	// person the case put on hold keeps their licenses until Legal
	// releases the hold.
	person := offboard.Target{Email: email, UserIDs: map[string]string{System: u.Id}}
	holds, note, err := g.caseHolds(ctx, req.CaseID, person)
	if err != nil {
		return connectors.Result{}, err
	}
	ev["vault_hold_check"] = note
	if len(holds) > 0 {
		return connectors.Result{}, offboard.Errorf(offboard.ECONFLICT,
			"%s is on a Google Vault hold (matter %q): removing the Workspace license would release the hold, as Google drops unlicensed accounts from holds. "+
				"Keep the licenses (or assign an Archived User license in the Admin console) and mark the task done, or retry once Legal has released the hold",
			email, MatterName(req.CaseID, email))
	}
	svc, err := g.c.Licensing(ctx)
	if err != nil {
		return connectors.Result{}, err
	}
	for _, l := range held {
		cl := call{what: "remove the " + l.label() + " license of " + email, scope: ScopeLicensing, subject: g.c.admin}
		if _, err := svc.LicenseAssignments.Delete(l.ProductID, l.SKUID, email).Context(ctx).Do(); err != nil {
			// Gone meanwhile is what was wanted; the read-back confirms.
			if ferr := g.c.fail(cl, err); offboard.ErrorCode(ferr) != offboard.ENOTFOUND {
				return connectors.Result{}, ferr
			}
		}
	}
	var remain []string
	for _, l := range held {
		_, err := svc.LicenseAssignments.Get(l.ProductID, l.SKUID, email).Context(ctx).Do()
		if err == nil {
			remain = append(remain, l.label())
			continue
		}
		if ferr := g.c.fail(call{what: "read back the " + l.label() + " license of " + email, scope: ScopeLicensing, subject: g.c.admin}, err); offboard.ErrorCode(ferr) != offboard.ENOTFOUND {
			return connectors.Result{}, fmt.Errorf("read back: %w", ferr)
		}
	}
	ev["read_back"] = fmt.Sprintf("%d of %d removed licenses still assigned", len(remain), len(held))
	res := connectors.Result{Verified: len(remain) == 0, UserID: u.Id, Evidence: ev,
		Summary: fmt.Sprintf("Removed %d Google Workspace licenses of %s (%s)", len(held), email, ev["licenses"])}
	if len(remain) > 0 {
		res.Summary = fmt.Sprintf("Google still shows licenses of %s after removing them: %s", email, strings.Join(remain, ", "))
	}
	return res, nil
}

// priceKey is a price's key in the form YAML keys are usually written:
// "Google Workspace Business Plus" is also google_workspace_business_plus.
var priceKey = strings.NewReplacer(" ", "_", "-", "_")

// price is the monthly seat price of a license, by SKU id, configured
// name or Google's SKU name (any case, spaces or underscores).
func (g *Google) price(l heldLicense) (float64, bool) {
	for _, k := range []string{l.SKUID, l.Name, l.skuName} {
		if k == "" {
			continue
		}
		if p, ok := g.prices[lower(k)]; ok {
			return p, true
		}
		if p, ok := g.prices[priceKey.Replace(lower(k))]; ok {
			return p, true
		}
	}
	return 0, false
}

// licenseReport puts the license names and, where the prices name them,
// their monthly cost in the evidence.
func (g *Google) licenseReport(held []heldLicense, ev map[string]string) {
	var names []string
	var cost float64
	priced := false
	for _, l := range held {
		names = append(names, l.label())
		if p, ok := g.price(l); ok {
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
