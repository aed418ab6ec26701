package googlefake

import (
	"net/http"
	"slices"
	"strings"
)

const scopeLicensing = "https://www.googleapis.com/auth/apps.licensing"

// skuNames are the product and SKU names of the Enterprise License
// Manager API's "Products and SKUs" page, for the SKUs the fake knows:
// productId → skuId → skuName.
var skuNames = map[string]map[string]string{
	"Google-Apps": {
		"1010020027": "Google Workspace Business Starter",
		"1010020028": "Google Workspace Business Standard",
		"1010020025": "Google Workspace Business Plus",
		"1010060003": "Google Workspace Enterprise Essentials",
		"1010020029": "Google Workspace Enterprise Starter",
		"1010020026": "Google Workspace Enterprise Standard",
		"1010020020": "Google Workspace Enterprise Plus (formerly G Suite Enterprise)",
		"1010060001": "Google Workspace Essentials (formerly G Suite Essentials)",
		"1010060005": "Google Workspace Enterprise Essentials Plus",
		"1010020030": "Google Workspace Frontline Starter",
		"1010020031": "Google Workspace Frontline Standard",
		"1010020034": "Google Workspace Frontline Plus",
	},
	"101068": {"1010680001": "Gemini Enterprise Business Edition"},
	"101047": {"1010470002": "Gemini Labs", "1010470006": "Gemini Security", "1010470007": "Gemini Meet"},
}

var productNames = map[string]string{"Google-Apps": "Google Workspace", "101068": "Gemini Business", "101047": "Gemini"}

// licenseOr404 finds the path's user and SKU, and whether the user holds
// it. The reference names userId "the user's current primary email
// address"; the fake takes only that. Unknown products or SKUs are 400
// and a user without the license 404: the docs do not give the wording
// (guessed).
func (s *Server) licenseOr404(w http.ResponseWriter, r *http.Request) (*User, string, bool) {
	product, sku := r.PathValue("productId"), r.PathValue("skuId")
	if _, ok := skuNames[product][sku]; !ok {
		apiError(w, http.StatusBadRequest, "invalid", "Invalid productId/skuId: "+product+"/"+sku)
		return nil, "", false
	}
	email := strings.ToLower(r.PathValue("userId"))
	var u *User
	for _, c := range s.users {
		if c.PrimaryEmail == email && !c.Deleted {
			u = c
		}
	}
	key := product + "/" + sku
	if u == nil || !slices.Contains(u.Licenses, key) {
		apiError(w, http.StatusNotFound, "notFound", "User does not have a license for specified sku and product")
		return nil, "", false
	}
	return u, key, true
}

// licensingRoutes are the Enterprise License Manager API's
// licenseAssignments get and delete.
func (s *Server) licensingRoutes() {
	base := "/apps/licensing/v1/product/{productId}/sku/{skuId}/user/{userId}"
	s.route("GET "+base, scopeLicensing, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u, _, ok := s.licenseOr404(w, r)
		if !ok {
			return
		}
		product, sku := r.PathValue("productId"), r.PathValue("skuId")
		writeJSON(w, http.StatusOK, map[string]string{
			"kind": "licensing#licenseAssignment", "etags": `"fake-etag"`,
			"selfLink": "/apps/licensing/v1/product/" + product + "/sku/" + sku + "/user/" + u.PrimaryEmail,
			"userId":   u.PrimaryEmail, "productId": product, "productName": productNames[product],
			"skuId": sku, "skuName": skuNames[product][sku],
		})
	})
	s.route("DELETE "+base, scopeLicensing, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u, key, ok := s.licenseOr404(w, r)
		if !ok {
			return
		}
		u.Licenses = slices.DeleteFunc(u.Licenses, func(l string) bool { return l == key })
		// The reference's response is Empty.
		writeJSON(w, http.StatusOK, map[string]any{})
	})
}
