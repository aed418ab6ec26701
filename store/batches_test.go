package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// A batch's summaries and counted cases survive closing and reopening the
// store, apart per platform and batch; a record missing its keys is
// refused.
func TestDB_SaveBatchSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offboard.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	since := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	if err := db.SaveBatchSummary(ctx, "slack", "layoff-1", offboard.DeptIT, "111.1", since); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveBatchSummary(ctx, "slack", "layoff-2", offboard.DeptIT, "222.2", since); err != nil {
		t.Fatal(err)
	}
	for _, c := range []offboard.BatchCase{
		{CaseID: "OFF-1", Departments: []offboard.Department{offboard.DeptIT, offboard.DeptHR}},
		{CaseID: "OFF-2", Departments: []offboard.Department{offboard.DeptIT}, Confidential: true},
	} {
		if err := db.SaveBatchCase(ctx, "slack", "layoff-1", c, since); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveBatchCase(ctx, "teams", "layoff-1", offboard.BatchCase{CaseID: "OFF-3"}, since); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveBatchSummary(ctx, "slack", "", offboard.DeptIT, "1", since); offboard.ErrorCode(err) != offboard.EINVALID {
		t.Errorf("a summary without a batch = %v, want EINVALID", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.LoadBatch(ctx, "slack", "layoff-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Summaries[offboard.DeptIT] != "111.1" || len(got.Summaries) != 1 || !got.Since.Equal(since) {
		t.Errorf("summaries = %v since %v, want IT's 111.1 since %v", got.Summaries, got.Since, since)
	}
	if len(got.Cases) != 2 || got.Cases[0].CaseID != "OFF-1" || len(got.Cases[0].Departments) != 2 || !got.Cases[1].Confidential {
		t.Errorf("cases = %+v, want OFF-1 (IT, HR) and confidential OFF-2", got.Cases)
	}
	none, err := db.LoadBatch(ctx, "slack", "layoff-3")
	if err != nil || len(none.Summaries) != 0 || len(none.Cases) != 0 || !none.Since.IsZero() {
		t.Errorf("an unknown batch = %+v, %v; want an empty record", none, err)
	}
}
