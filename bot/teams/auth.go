package teams

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// BotFrameworkIssuer is the issuer of the tokens Bot Framework sends to
// bots.
const BotFrameworkIssuer = "https://api.botframework.com"

const (
	// clockSkew is how far exp and nbf may be off.
	clockSkew = 5 * time.Minute
	// refetchEvery bounds key refetches caused by an unknown kid, so a
	// flood of forged tokens cannot make us hammer the key endpoint.
	refetchEvery = time.Minute
	// keysMaxAge refreshes the keys even when every kid is known.
	keysMaxAge = 24 * time.Hour
)

// errUnauthorized is every refusal; the detail goes to the log only.
var errUnauthorized = errors.New("teams: unauthorized")

// Validator checks the bearer token of every inbound activity. It
// replaces msbotbuilder-go's validator (through the adapter's
// TokenValidator field), which fetches metadata from a fixed URL on every
// request, never refreshes keys, skips endorsements and lets everything
// through without an app id.
type Validator struct {
	appID, tenantID, metadataURL string
	http                         *http.Client
	now                          func() time.Time

	fetch sync.Mutex // one fetch at a time
	mu    sync.Mutex // guards the fields below
	keys  map[string]signingKey
	// fetchedAt is the last good fetch. An unknown kid refetches at most
	// once per refetchEvery (refetchedAt), and after a failed fetch
	// (failedAt) nothing is fetched for as long.
	fetchedAt, refetchedAt, failedAt time.Time
}

type signingKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

var _ auth.TokenValidator = (*Validator)(nil)

// NewValidator builds a validator for a single-tenant bot.
func NewValidator(appID, tenantID, metadataURL string, client *http.Client, now func() time.Time) (*Validator, error) {
	if appID == "" || tenantID == "" || metadataURL == "" {
		return nil, errors.New("teams: the validator needs the app id, tenant id and OpenID metadata URL")
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Validator{appID: appID, tenantID: tenantID, metadataURL: metadataURL, http: client, now: now}, nil
}

// AuthenticateRequest implements auth.TokenValidator. The credentials and
// channel service the adapter passes are ignored: the validator holds its
// own app id and never turns authentication off.
func (v *Validator) AuthenticateRequest(ctx context.Context, act schema.Activity, header string, _ auth.CredentialProvider, _ string) (auth.ClaimsIdentity, error) {
	claims, err := v.Check(ctx, act, header)
	if err != nil {
		return nil, err
	}
	return auth.NewClaimIdentity(map[string]any{auth.IssuerClaim: claims.Issuer, auth.AudienceClaim: v.appID,
		"serviceurl": claims.ServiceURL}, true), nil
}

// Check validates the Authorization header of act and returns the token's
// claims. Every failure wraps errUnauthorized.
func (v *Validator) Check(ctx context.Context, act schema.Activity, header string) (*jwtClaims, error) {
	raw, ok := strings.CutPrefix(strings.TrimSpace(header), "Bearer ")
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: no bearer token", errUnauthorized)
	}
	t, err := parseJWT(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnauthorized, err)
	}
	if t.header.Alg != "RS256" {
		return nil, fmt.Errorf("%w: alg %q, want RS256", errUnauthorized, t.header.Alg)
	}
	key, err := v.key(ctx, t.header.Kid)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnauthorized, err)
	}
	if err := t.verify(key.pub); err != nil {
		return nil, fmt.Errorf("%w: bad signature", errUnauthorized)
	}
	c := &t.claims
	now := v.now()
	switch {
	case c.Issuer != BotFrameworkIssuer:
		return nil, fmt.Errorf("%w: issuer %q", errUnauthorized, c.Issuer)
	case !slices.Contains(c.Audience, v.appID):
		return nil, fmt.Errorf("%w: audience is not this bot", errUnauthorized)
	case c.Expires == nil || now.After(unix(*c.Expires).Add(clockSkew)):
		return nil, fmt.Errorf("%w: expired", errUnauthorized)
	case c.NotBefore != nil && now.Before(unix(*c.NotBefore).Add(-clockSkew)):
		return nil, fmt.Errorf("%w: not valid yet", errUnauthorized)
	case c.ServiceURL == "" || c.ServiceURL != act.ServiceURL:
		return nil, fmt.Errorf("%w: serviceurl claim does not match the activity", errUnauthorized)
	case act.ChannelID == "" || !slices.Contains(key.endorsements, act.ChannelID):
		return nil, fmt.Errorf("%w: the signing key is not endorsed for channel %q", errUnauthorized, act.ChannelID)
	case c.TenantID != "" && !strings.EqualFold(c.TenantID, v.tenantID):
		return nil, fmt.Errorf("%w: token of another tenant", errUnauthorized)
	}
	if tid := activityTenant(act); !strings.EqualFold(tid, v.tenantID) {
		return nil, fmt.Errorf("%w: activity from tenant %q", errUnauthorized, tid)
	}
	return c, nil
}

func unix(f float64) time.Time { return time.Unix(int64(f), 0) }

// activityTenant is the tenant Teams says the activity comes from.
func activityTenant(act schema.Activity) string {
	if t, ok := act.ChannelData["tenant"].(map[string]any); ok {
		if id, ok := t["id"].(string); ok && id != "" {
			return id
		}
	}
	return act.Conversation.TenantID
}

// key returns the signing key kid, fetching the key set when it is not
// known yet, unknown (at most once per refetchEvery), or old.
func (v *Validator) key(ctx context.Context, kid string) (signingKey, error) {
	if kid == "" {
		return signingKey{}, errors.New("no kid")
	}
	v.mu.Lock()
	k, ok := v.keys[kid]
	stale := v.now().Sub(v.fetchedAt) > keysMaxAge
	v.mu.Unlock()
	if ok && !stale {
		return k, nil
	}
	v.fetch.Lock()
	defer v.fetch.Unlock()
	v.mu.Lock()
	k, ok = v.keys[kid]
	now := v.now()
	stale = now.Sub(v.fetchedAt) > keysMaxAge
	unknown := !ok && v.keys != nil && !stale
	may := now.Sub(v.failedAt) >= refetchEvery && (!unknown || now.Sub(v.refetchedAt) >= refetchEvery)
	if may && unknown {
		v.refetchedAt = now
	}
	v.mu.Unlock()
	if ok && !stale {
		return k, nil // another request fetched it meanwhile
	}
	if !may {
		if ok {
			return k, nil
		}
		return signingKey{}, fmt.Errorf("unknown kid %q (keys fetched less than %s ago)", kid, refetchEvery)
	}
	keys, err := v.fetchKeys(ctx)
	if err != nil {
		v.mu.Lock()
		v.failedAt = v.now()
		v.mu.Unlock()
		if ok {
			return k, nil // keep serving with the keys we have
		}
		return signingKey{}, err
	}
	v.mu.Lock()
	v.keys, v.fetchedAt = keys, v.now()
	v.mu.Unlock()
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return signingKey{}, fmt.Errorf("unknown kid %q", kid)
}

// fetchKeys reads the OpenID metadata, then its key set.
func (v *Validator) fetchKeys(ctx context.Context) (map[string]signingKey, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, v.metadataURL, &meta); err != nil {
		return nil, fmt.Errorf("openid metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return nil, errors.New("openid metadata has no jwks_uri")
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	keys := map[string]signingKey{}
	for _, k := range set.Keys {
		pub, err := k.publicKey()
		if err != nil {
			continue // one odd key must not lock out the others
		}
		keys[k.Kid] = signingKey{pub: pub, endorsements: k.Endorsements}
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable signing keys")
	}
	return keys, nil
}

func (v *Validator) getJSON(ctx context.Context, url string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}
