package microsoft

import (
	"context"
	"net/http"

	"github.com/offboard-dev/offboard"
)

// fixPermissions is the README's setup, as the fix for a refused read.
const fixPermissions = "grant the app registration the Microsoft Graph application permissions in README → Microsoft Entra ID, with admin consent"

// Doctor runs read-only checks: the credentials (a token), one user
// read, and that user's authentication methods and consent grants, which
// reset_mfa and revoke_grants need. Nothing is written.
func (e *Entra) Doctor(ctx context.Context) []offboard.CheckResult {
	var out []offboard.CheckResult
	if _, err := e.c.tokens.token(ctx); err != nil {
		return append(out, offboard.CheckFailed("Entra ID: token", offboard.ErrorMessage(e.c.tokenError(err)),
			"check entra.tenant_id, entra.client_id and the client secret or certificate against the app registration"))
	}
	out = append(out, offboard.CheckOf("Entra ID: token", "the Microsoft identity platform issued an app token"))
	var list struct {
		Value []User `json:"value"`
	}
	if err := e.c.do(ctx, call{method: http.MethodGet, path: "/users?$top=1&$select=id,userPrincipalName", out: &list,
		what: "list users", perm: "User.Read.All"}); err != nil {
		return append(out, offboard.CheckFailed("Entra ID: read users", offboard.ErrorMessage(err), fixPermissions))
	}
	out = append(out, offboard.CheckOf("Entra ID: read users", "GET /v1.0/users?$top=1 answered"))
	if len(list.Value) == 0 {
		return append(out, offboard.CheckResult{Name: "Entra ID: read methods and grants", Status: offboard.CheckWarn,
			Detail: "the tenant has no user to try it on"})
	}
	id := list.Value[0].ID
	if _, err := e.c.Methods(ctx, id); err != nil {
		return append(out, offboard.CheckFailed("Entra ID: read authentication methods", offboard.ErrorMessage(err), fixPermissions))
	}
	if _, err := e.c.Grants(ctx, id); err != nil {
		return append(out, offboard.CheckFailed("Entra ID: read consent grants", offboard.ErrorMessage(err), fixPermissions))
	}
	out = append(out, offboard.CheckOf("Entra ID: read methods and grants", "one user's authentication methods and consent grants answered"))
	if e.deleteAfter > 0 {
		// Deleting is the only way to try the delete permission: say so
		// rather than call it checked.
		out = append(out, offboard.CheckResult{Name: "Entra ID: delete and restore users", Status: offboard.CheckWarn,
			Detail: "entra.delete_after is set; not checked: User.ReadWrite.All (delete) and User.DeleteRestore.All (restore) can only be tried by deleting a user; make sure they are granted"})
	}
	return out
}
