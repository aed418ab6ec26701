package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/vault/v1"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// holdCorpora are the services a leaver's hold covers, in Vault's words.
var holdCorpora = []string{"MAIL", "DRIVE"}

// maxVaultPages bounds a Vault listing (100 a page): past it offboard
// stops rather than create a second matter for the case, or loop on a
// broken page token.
const maxVaultPages = 50

// fixVault is what an admin does about Vault's 403.
const fixVault = "needs a Google Vault license (a Workspace edition that includes Vault, or the Vault add-on) and a Vault role " +
	"with the Manage Matters and Manage Holds privileges (Admin console: Account > Admin roles), " +
	"and the service account the ediscovery scope in its domain-wide delegation"

// MatterName is the Vault matter of a case's hold: one per case and
// person, found again by name on a rerun.
func MatterName(caseID offboard.CaseID, email string) string {
	return "offboard " + string(caseID) + " " + lower(email)
}

// vaultFail maps a Vault error. Vault answers 403 PERMISSION_DENIED,
// without a reason, when the admin lacks a Vault license or role: the
// error says so, which the generic mapping cannot.
func (c *Client) vaultFail(cl call, err error) error {
	if gerr, ok := errors.AsType[*googleapi.Error](err); ok && gerr.Code == http.StatusForbidden {
		reason := firstReason(gerr)
		if !rateLimitReasons[reason] && reason != "insufficientPermissions" && reason != "ACCESS_TOKEN_SCOPE_INSUFFICIENT" {
			return offboard.Errorf(offboard.EFORBIDDEN, "Google Vault refused to %s (%s): %s %s",
				cl.what, offboard.UpstreamText([]byte(c.scrub(gerr.Message))), cl.subject, fixVault)
		}
	}
	return c.fail(cl, err)
}

// heldBy reports whether a held account is the person: by their Google
// id when known, else by email.
func heldBy(a *vault.HeldAccount, t offboard.Target) bool {
	if id := t.UserID(System); id != "" && a.AccountId == id {
		return true
	}
	return a.Email != "" && lower(a.Email) == lower(t.Email)
}

// heldAccounts name the person for Vault, in the order to try: the
// Directory id when a previous action found it, then the email (Vault
// takes either; a stale id is refused as invalid).
func heldAccounts(t offboard.Target) []*vault.HeldAccount {
	byEmail := &vault.HeldAccount{Email: lower(t.Email)}
	if id := t.UserID(System); id != "" {
		return []*vault.HeldAccount{{AccountId: id}, byEmail}
	}
	return []*vault.HeldAccount{byEmail}
}

// eachAccount runs f with each way of naming the person until one is not
// refused as invalid, and returns the last error mapped.
func (g *Google) eachAccount(t offboard.Target, cl call, f func(*vault.HeldAccount) error) error {
	var ferr error
	for _, a := range heldAccounts(t) {
		err := f(a)
		if err == nil {
			return nil
		}
		if ferr = g.c.vaultFail(cl, err); offboard.ErrorCode(ferr) != offboard.EINVALID {
			return ferr
		}
	}
	return ferr
}

// holdPlan is what hold found or did for one corpus.
type holdPlan struct {
	corpus  string
	holdID  string
	changed bool
	// accountID is the person's id as Vault answered it.
	accountID string
}

// hold places a Google Vault hold on the leaver's mail and Drive: it
// finds the case's open matter by name or creates it, then a hold per
// corpus with the person's account (an existing hold of the matter gets
// the account added), and reads the held accounts back. A rerun finds
// the matter and holds and says AlreadyDone.
func (g *Google) hold(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	email := lower(req.Target.Email)
	if req.CaseID == "" || email == "" {
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID, "a Vault hold needs the case id and the person's email (the matter is named after both)")
	}
	svc, err := g.c.Vault(ctx)
	if err != nil {
		return connectors.Result{}, err
	}
	cl := func(what string) call { return call{what: what, scope: ScopeVault, subject: g.c.admin} }
	name := MatterName(req.CaseID, email)
	matter, err := g.findMatter(ctx, svc, name)
	if err != nil {
		return connectors.Result{}, err
	}
	created := matter == nil
	var holds []*vault.Hold
	if created {
		matter, err = svc.Matters.Create(&vault.Matter{Name: name,
			Description: "Legal hold placed by offboard for " + email + " (case " + string(req.CaseID) + ")"}).Context(ctx).Do()
		if err != nil {
			return connectors.Result{}, g.c.vaultFail(cl("create the Vault matter "+name), err)
		}
		if matter.MatterId == "" {
			return connectors.Result{}, fmt.Errorf("google: Vault created the matter %s without an id", name)
		}
	} else if holds, err = g.listHolds(ctx, svc, matter.MatterId); err != nil {
		return connectors.Result{}, err
	}

	plans := make([]holdPlan, 0, len(holdCorpora))
	for _, corpus := range holdCorpora {
		p, err := g.holdCorpus(ctx, svc, req, matter.MatterId, corpus, holds)
		if err != nil {
			return connectors.Result{}, err
		}
		plans = append(plans, p)
	}

	ev := map[string]string{"matter_id": matter.MatterId, "matter_name": name, "matter_created": fmt.Sprint(created),
		"corpus": strings.Join(holdCorpora, ", "), "held_account": email}
	var problems, readBack []string
	changed := false
	for i := range plans {
		p := &plans[i]
		ev[strings.ToLower(p.corpus)+"_hold_id"] = p.holdID
		if !p.changed {
			readBack = append(readBack, p.corpus+": already held")
			continue
		}
		changed = true
		ok, id, err := g.heldNow(ctx, svc, matter.MatterId, p.holdID, req.Target, p.accountID)
		if err != nil {
			return connectors.Result{}, fmt.Errorf("read back: %w", err)
		}
		if !ok {
			problems = append(problems, p.corpus+" hold "+p.holdID+" does not list the account")
			readBack = append(readBack, p.corpus+": not listed")
			continue
		}
		if id != "" {
			p.accountID = id
		}
		readBack = append(readBack, p.corpus+": held")
	}
	ev["read_back"] = strings.Join(readBack, ", ")
	res := connectors.Result{Verified: len(problems) == 0, AlreadyDone: !changed, Evidence: ev}
	for _, p := range plans {
		if p.accountID != "" {
			res.UserID = p.accountID
			ev["held_account_id"] = p.accountID
			break
		}
	}
	switch {
	case len(problems) > 0:
		res.Summary = "The Vault hold on " + email + " is not confirmed: " + strings.Join(problems, "; ")
	case !changed:
		res.Summary = "Mail and Drive of " + email + " were already on hold in the Vault matter " + name
	default:
		res.Summary = "Mail and Drive of " + email + " placed on hold in the Vault matter " + name
	}
	return res, nil
}

// holdCorpus makes sure the matter holds the person for corpus: an
// account hold of that corpus that lists them is kept; one that does not
// gets the account; none, a new hold.
func (g *Google) holdCorpus(ctx context.Context, svc *vault.Service, req connectors.Request, matterID, corpus string, holds []*vault.Hold) (holdPlan, error) {
	p := holdPlan{corpus: corpus}
	var target *vault.Hold
	for _, h := range holds {
		if h.Corpus != corpus || h.OrgUnit != nil {
			continue
		}
		for _, a := range h.Accounts {
			if heldBy(a, req.Target) {
				p.holdID, p.accountID = h.HoldId, a.AccountId
				return p, nil
			}
		}
		if target == nil {
			target = h
		}
	}
	p.changed = true
	cl := call{what: "place a Vault " + corpus + " hold on " + req.Target.Email, scope: ScopeVault, subject: g.c.admin}
	if target != nil {
		p.holdID = target.HoldId
		err := g.eachAccount(req.Target, cl, func(in *vault.HeldAccount) error {
			a, err := svc.Matters.Holds.Accounts.Create(matterID, target.HoldId, in).Context(ctx).Do()
			if err == nil {
				p.accountID = a.AccountId
			}
			return err
		})
		// A conflict is an account already held: the read-back decides.
		if err != nil && offboard.ErrorCode(err) != offboard.ECONFLICT {
			return p, err
		}
		return p, nil
	}
	h := &vault.Hold{Name: "offboard " + string(req.CaseID) + " " + strings.ToLower(corpus), Corpus: corpus}
	if corpus == "DRIVE" {
		// Files the person keeps in shared drives are theirs to lose too.
		h.Query = &vault.CorpusQuery{DriveQuery: &vault.HeldDriveQuery{IncludeSharedDriveFiles: true}}
	}
	var out *vault.Hold
	err := g.eachAccount(req.Target, cl, func(in *vault.HeldAccount) error {
		h.Accounts = []*vault.HeldAccount{in}
		var err error
		out, err = svc.Matters.Holds.Create(matterID, h).Context(ctx).Do()
		return err
	})
	if err != nil {
		return p, err
	}
	if out.HoldId == "" {
		return p, fmt.Errorf("google: Vault created the %s hold without an id", corpus)
	}
	p.holdID = out.HoldId
	// The hold was made with the one account: Vault's answer names its
	// id even when the person was named by an alias.
	if len(out.Accounts) == 1 {
		p.accountID = out.Accounts[0].AccountId
	}
	return p, nil
}

// findMatter is the open matter named name that the admin can see, or
// nil.
func (g *Google) findMatter(ctx context.Context, svc *vault.Service, name string) (*vault.Matter, error) {
	cl := call{what: "list the Vault matters", scope: ScopeVault, subject: g.c.admin}
	token := ""
	for range maxVaultPages {
		resp, err := svc.Matters.List().State("OPEN").View("BASIC").PageSize(100).PageToken(token).Context(ctx).Do()
		if err != nil {
			return nil, g.c.vaultFail(cl, err)
		}
		for _, m := range resp.Matters {
			if m.Name == name && m.State == "OPEN" && m.MatterId != "" {
				return m, nil
			}
		}
		if resp.NextPageToken == "" || resp.NextPageToken == token {
			return nil, nil
		}
		token = resp.NextPageToken
	}
	return nil, offboard.Errorf(offboard.EINVALID, "Vault lists more than %d open matters; offboard stopped looking for %q rather than create a second one: place the hold by hand", maxVaultPages*100, name)
}

// listHolds are the matter's holds with their accounts.
func (g *Google) listHolds(ctx context.Context, svc *vault.Service, matterID string) ([]*vault.Hold, error) {
	cl := call{what: "list the holds of the Vault matter " + matterID, scope: ScopeVault, subject: g.c.admin}
	var out []*vault.Hold
	token := ""
	for range maxVaultPages {
		resp, err := svc.Matters.Holds.List(matterID).View("FULL_HOLD").PageSize(100).PageToken(token).Context(ctx).Do()
		if err != nil {
			return nil, g.c.vaultFail(cl, err)
		}
		out = append(out, resp.Holds...)
		if resp.NextPageToken == "" || resp.NextPageToken == token {
			return out, nil
		}
		token = resp.NextPageToken
	}
	return nil, fmt.Errorf("google: the Vault matter %s lists more than %d holds", matterID, maxVaultPages*100)
}

// heldNow reads a hold's accounts back: whether the person (or knownID,
// the id Vault answered the change with) is listed, and their id.
func (g *Google) heldNow(ctx context.Context, svc *vault.Service, matterID, holdID string, t offboard.Target, knownID string) (bool, string, error) {
	resp, err := svc.Matters.Holds.Accounts.List(matterID, holdID).Context(ctx).Do()
	if err != nil {
		return false, "", g.c.vaultFail(call{what: "read the accounts of the Vault hold " + holdID, scope: ScopeVault, subject: g.c.admin}, err)
	}
	for _, a := range resp.Accounts {
		if heldBy(a, t) || (knownID != "" && a.AccountId == knownID) {
			return true, a.AccountId, nil
		}
	}
	return false, "", nil
}

// caseHolds are the ids of the holds of the case's Vault matter that hold
// the person, with what was checked for the evidence. Vault stops holding
// an account whose license goes, so deactivation asks first. When Vault
// cannot be asked (the ediscovery scope not delegated, or no Vault
// license or role: then offboard placed no hold either) the note says
// so and no error is returned; holds placed by hand in other matters are
// not looked for (each matter is a request).
func (g *Google) caseHolds(ctx context.Context, caseID offboard.CaseID, person offboard.Target) (ids []string, note string, err error) {
	if caseID == "" {
		return nil, "not checked: the job has no case id", nil
	}
	name := MatterName(caseID, person.Email)
	svc, err := g.c.Vault(ctx)
	if err != nil {
		return nil, "", err
	}
	matter, err := g.findMatter(ctx, svc, name)
	if offboard.ErrorCode(err) == offboard.EFORBIDDEN {
		return nil, "not checked: " + offboard.ErrorMessage(err), nil
	}
	if err != nil {
		return nil, "", err
	}
	if matter == nil {
		return nil, "no open Vault matter " + name, nil
	}
	holds, err := g.listHolds(ctx, svc, matter.MatterId)
	if err != nil {
		return nil, "", err
	}
	for _, h := range holds {
		for _, a := range h.Accounts {
			if heldBy(a, person) {
				ids = append(ids, h.HoldId)
				break
			}
		}
	}
	return ids, fmt.Sprintf("the Vault matter %s holds the account in %d holds", name, len(ids)), nil
}
