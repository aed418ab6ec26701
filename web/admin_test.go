package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web"
)

func TestServer_takeBackup(t *testing.T) {
	dir := t.TempDir()
	var h *harness
	var by []offboard.Actor
	h = newHarness(t, func(o *web.Options) {
		// The same steps serve takes: a hot copy, then its check.
		o.Backup = func(ctx context.Context, a offboard.Actor) (offboard.BackupReport, error) {
			by = append(by, a)
			path, _, err := h.db.WriteBackup(ctx, dir, time.Now())
			if err != nil {
				return offboard.BackupReport{}, err
			}
			c, err := store.CheckBackup(ctx, path)
			if err != nil {
				return offboard.BackupReport{}, err
			}
			return offboard.BackupReport{Name: filepath.Base(path), SizeBytes: c.SizeBytes, ChainHead: c.ChainHead,
				AuditEvents: c.AuditEvents, Cases: c.Cases, Checks: store.BackupChecks}, nil
		}
	})
	h.open("jane.doe@example.com", "voluntary")

	if r := h.do(request{method: http.MethodPost, path: "/api/v1/admin/backup"}); r.status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", r.status)
	}
	r := h.do(request{method: http.MethodPost, path: "/api/v1/admin/backup", token: hrToken})
	if r.status != http.StatusForbidden || r.errorBody(t).Error.Code != offboard.EFORBIDDEN {
		t.Errorf("HR token: %d %s, want 403 forbidden", r.status, r.body)
	}
	if len(by) != 0 {
		t.Fatalf("a refused request took a backup (by %v)", by)
	}
	var refused []*offboard.AuditEvent
	_ = h.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		if e.Action == "api.rejected" && e.Target == "backup" {
			refused = append(refused, e)
		}
		return nil
	})
	if len(refused) != 1 || refused[0].Actor.ID != "workday-sync" || refused[0].Outcome != offboard.OutcomeRefused {
		t.Errorf("audited refusals %+v, want one by workday-sync", refused)
	}
	if !strings.Contains(h.logs.String(), "admin request refused") {
		t.Error("the refusal was not logged")
	}

	r = h.do(request{method: http.MethodPost, path: "/api/v1/admin/backup", token: adminToken})
	if r.status != http.StatusCreated {
		t.Fatalf("admin token: %d %s, want 201", r.status, r.body)
	}
	var rep offboard.BackupReport
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Name, "offboard-") || rep.SizeBytes == 0 || rep.Cases != 1 || len(rep.ChainHead) != 64 || len(rep.Checks) == 0 {
		t.Errorf("report %+v, want a named, sized backup of 1 case with its chain head and checks", rep)
	}
	if len(by) != 1 || by[0].ID != "ops" {
		t.Errorf("backup taken by %v, want the ops token", by)
	}
}

func TestServer_takeBackup_off(t *testing.T) {
	h := newHarness(t)
	r := h.do(request{method: http.MethodPost, path: "/api/v1/admin/backup", token: adminToken})
	if r.status != http.StatusConflict || !strings.Contains(r.errorBody(t).Error.Message, "store.backup.dir") {
		t.Errorf("backups off: %d %s, want 409 naming store.backup.dir", r.status, r.body)
	}
}
