package microsoft

import (
	"context"
	"net/http"

	"github.com/offboard-dev/offboard"
)

// fixIntunePermissions is the README's Intune setup, as the fix.
const fixIntunePermissions = "grant the app registration the Microsoft Graph application permissions in README → Microsoft Intune, with admin consent"

// Doctor runs Intune's read-only check: one managed device listed. The
// remote actions' permission (PrivilegedOperations.All) has no read to
// try it with, and a lock is not a check: the result says so.
func (in *Intune) Doctor(ctx context.Context) []offboard.CheckResult {
	var list struct {
		Value []managedDevice `json:"value"`
	}
	if err := in.c.do(ctx, call{method: http.MethodGet, path: "/deviceManagement/managedDevices?$top=1&$select=id", out: &list,
		what: "list managed devices", perm: permDevicesRead}); err != nil {
		return []offboard.CheckResult{offboard.CheckFailed("Intune: read managed devices", offboard.ErrorMessage(err), fixIntunePermissions)}
	}
	return []offboard.CheckResult{
		offboard.CheckOf("Intune: read managed devices", "GET /v1.0/deviceManagement/managedDevices?$top=1 answered"),
		{Name: "Intune: lock, retire and wipe", Status: offboard.CheckWarn,
			Detail: "not checked: " + permDevicesPrivileged + " can only be tried by sending a command to a device; make sure it is granted"},
	}
}
