package graphfake

import (
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Microsoft Graph's identity and access service limits ("Microsoft Graph
// service-specific throttling limits"): a token bucket of ResourceUnits
// per application+tenant pair, refilled over 10 seconds; S (under 50
// users) 3,500, M (50 to 500) 5,000, L (above 500) 8,000. Requests cost
// their documented base (GET users 2, GET oauth2PermissionGrants 2, …,
// any other 1), $select -1, $expand +1, $top under 20 -1, never under 1.
// The separate write quota (3,000 requests per 2 min 30 s) is not
// modelled: an offboarding run writes far less than it reads.
const (
	IdentityRUSmall  = 3500
	IdentityRUMedium = 5000
	IdentityRULarge  = 8000
	identityWindow   = 10 * time.Second
)

// identityCosts are the documented base costs above 1, by method and path
// pattern under /v1.0 (a me/ path also applies to users/{id}/).
var identityCosts = []struct {
	method string
	path   *regexp.Regexp
	cost   int
}{
	{"GET", regexp.MustCompile(`^/applications$`), 2},
	{"GET", regexp.MustCompile(`^/applications/[^/]+/extensionProperties$`), 2},
	{"GET", regexp.MustCompile(`^/contracts$`), 3},
	{"POST", regexp.MustCompile(`^/directoryObjects/getByIds$`), 5},
	{"GET", regexp.MustCompile(`^/domains/[^/]+/domainNameReferences$`), 4},
	{"POST", regexp.MustCompile(`^/getObjectsById$`), 5},
	{"GET", regexp.MustCompile(`^/groups/[^/]+/members$`), 3},
	{"GET", regexp.MustCompile(`^/groups/[^/]+/transitiveMembers$`), 5},
	{"POST", regexp.MustCompile(`^/isMemberOf$`), 4},
	{"POST", regexp.MustCompile(`^/(me|users/[^/]+)/(checkMemberGroups|checkMemberObjects)$`), 4},
	{"POST", regexp.MustCompile(`^/(me|users/[^/]+)/(getMemberGroups|getMemberObjects)$`), 2},
	{"GET", regexp.MustCompile(`^/(me|users/[^/]+)/(licenseDetails|memberOf|ownedObjects|transitiveMemberOf)(/.*)?$`), 2},
	{"GET", regexp.MustCompile(`^/oauth2PermissionGrants(/[^/]+)?$`), 2},
	{"GET", regexp.MustCompile(`^/servicePrincipals/[^/]+/appRoleAssignments$`), 2},
	{"GET", regexp.MustCompile(`^/subscribedSkus$`), 3},
	{"GET", regexp.MustCompile(`^/users$`), 2},
}

// identityCost is the ResourceUnits a request costs; ok is false for a
// request outside the identity service (Intune's deviceManagement has its
// own limits, not modelled here).
func identityCost(method string, u *url.URL) (cost int, ok bool) {
	p, found := strings.CutPrefix(u.Path, "/v1.0")
	if !found || strings.HasPrefix(p, "/deviceManagement") || p == "/$batch" {
		return 0, false
	}
	cost = 1
	for _, c := range identityCosts {
		if c.method == method && c.path.MatchString(p) {
			cost = c.cost
			break
		}
	}
	q := u.Query()
	if q.Has("$select") {
		cost--
	}
	if q.Has("$expand") {
		cost++
	}
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top < 20 {
		cost--
	}
	return max(cost, 1), true
}

// ruBucket is the application+tenant pair's budget: capacity
// ResourceUnits, refilled continuously at capacity per window.
type ruBucket struct {
	mu        sync.Mutex
	capacity  float64
	window    time.Duration
	tokens    float64
	last      time.Time
	spent     int
	throttled int
}

func newRUBucket(capacity int, window time.Duration, now time.Time) *ruBucket {
	return &ruBucket{capacity: float64(capacity), window: window, tokens: float64(capacity), last: now}
}

// take spends cost if the budget holds it; otherwise it says how long
// until it will (what Retry-After tells the client).
func (b *ruBucket) take(cost int, now time.Time) (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rate := b.capacity / b.window.Seconds() // RU per second
	if now.After(b.last) {
		b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*rate)
		b.last = now
	}
	if b.tokens >= float64(cost) {
		b.tokens -= float64(cost)
		b.spent += cost
		return true, 0
	}
	b.throttled++
	return false, time.Duration((float64(cost) - b.tokens) / rate * float64(time.Second))
}

// LimitIdentity makes the identity routes spend a budget of ruPer10s
// ResourceUnits per 10 seconds at their documented costs, answering 429
// with Retry-After (whole seconds until the budget holds the request,
// at least 1) once it is spent; 0 turns the limit off (the default).
// IdentityRUSmall and its siblings are Microsoft's figures.
func (s *Server) LimitIdentity(ruPer10s int) {
	s.LimitIdentityWindow(ruPer10s, identityWindow)
}

// LimitIdentityWindow is LimitIdentity with another refill window, for a
// benchmark that compresses time.
func (s *Server) LimitIdentityWindow(ru int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ruLimit = nil
	if ru > 0 && window > 0 {
		s.ruLimit = newRUBucket(ru, window, s.now())
	}
}

// ResourceUnits reports the ResourceUnits spent under the limit and the
// requests it throttled (both 0 without LimitIdentity).
func (s *Server) ResourceUnits() (spent, throttled int) {
	s.mu.Lock()
	b := s.ruLimit
	s.mu.Unlock()
	if b == nil {
		return 0, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent, b.throttled
}

// chargeIdentity spends r's cost from the limit, if one is set; false
// means it answered 429 as Graph's identity service does. s.mu is held.
func (s *Server) chargeIdentity(w http.ResponseWriter, r *http.Request) bool {
	if s.ruLimit == nil {
		return true
	}
	cost, ok := identityCost(r.Method, r.URL)
	if !ok {
		return true
	}
	if ok, wait := s.ruLimit.take(cost, s.now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		w.Header().Set("x-ms-throttle-scope", "Tenant_Application/ReadWrite/"+ClientID+"/"+TenantID)
		w.Header().Set("x-ms-throttle-information", "ResourceUnitLimitExceeded")
		graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
		return false
	}
	w.Header().Set("x-ms-resource-unit", strconv.Itoa(cost))
	return true
}
