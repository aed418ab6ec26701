package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// Backend is what serve needs of a store beyond offboard.Store: both
// backends provide it, and these subtests hold them to one meaning.
type Backend interface {
	offboard.Store
	offboard.JobQueue
	offboard.DeliveryLog
	offboard.BatchLog
	AuditLog(*offboard.Redactor) offboard.AuditLog
	AuditEvents(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error
	AuditEventsChained(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error
	AuditHead(ctx context.Context) (uint64, string, error)
	AuditHashes(ctx context.Context, seqs []uint64) (map[uint64]string, error)
	VerifyAudit(ctx context.Context) (offboard.AuditVerifyResult, error)
	CaseCounts(ctx context.Context) (map[offboard.CaseStatus]int, error)
	QueueFigures(ctx context.Context, now time.Time) (offboard.QueueFigures, error)
	Ping(ctx context.Context) error
}

func backend(t *testing.T, s offboard.Store) Backend {
	t.Helper()
	b, ok := s.(Backend)
	if !ok {
		t.Fatalf("%T lacks what serve needs of a store (storetest.Backend)", s)
	}
	return b
}

func contractDelivered(t *testing.T, s offboard.Store) {
	b, ctx := backend(t, s), context.Background()
	id := offboard.FormatCaseID(1)
	if got, err := b.Delivered(ctx, "slack", "n1"); err != nil || got {
		t.Fatalf("Delivered before marking = %v, %v; want false", got, err)
	}
	if err := b.MarkDelivered(ctx, "slack", "n1", id, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Delivered(ctx, "slack", "n1"); err != nil || !got {
		t.Errorf("Delivered after marking = %v, %v; want true", got, err)
	}
	if got, _ := b.Delivered(ctx, "teams", "n1"); got {
		t.Error("a notice Slack delivered reads as delivered on Teams too")
	}
	if err := b.MarkDelivered(ctx, "", "n2", id, t0); offboard.ErrorCode(err) != offboard.EINVALID {
		t.Errorf("a marker without a platform: %v; want EINVALID", err)
	}
	// A marker past the retention is dropped when a later one prunes.
	if err := b.MarkDelivered(ctx, "slack", "n3", id, t0.Add(offboard.DeliveredRetention+2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Delivered(ctx, "slack", "n1"); got {
		t.Error("a marker older than DeliveredRetention survived the prune")
	}
	if got, _ := b.Delivered(ctx, "slack", "n3"); !got {
		t.Error("the new marker is missing")
	}
}

func contractBatches(t *testing.T, s offboard.Store) {
	b, ctx := backend(t, s), context.Background()
	empty, err := b.LoadBatch(ctx, "slack", "b1")
	if err != nil || len(empty.Summaries) != 0 || len(empty.Cases) != 0 || !empty.Since.IsZero() {
		t.Fatalf("LoadBatch of nothing = %+v, %v", empty, err)
	}
	if err := b.SaveBatchSummary(ctx, "slack", "b1", "it", "ts-1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveBatchSummary(ctx, "slack", "b1", "finance", "ts-2", t0); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveBatchSummary(ctx, "slack", "b10", "it", "other", t0); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		c := offboard.BatchCase{CaseID: offboard.FormatCaseID(uint64(i)), Departments: []offboard.Department{"it"}, Confidential: i == 2}
		if err := b.SaveBatchCase(ctx, "slack", "b1", c, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.SaveBatchCase(ctx, "teams", "b1", offboard.BatchCase{CaseID: "OFF-0009"}, t0); err != nil {
		t.Fatal(err)
	}
	got, err := b.LoadBatch(ctx, "slack", "b1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Summaries["it"] != "ts-1" || got.Summaries["finance"] != "ts-2" || len(got.Summaries) != 2 || !got.Since.Equal(t0) {
		t.Errorf("summaries = %v since %v; want it and finance of b1 only, since the earliest", got.Summaries, got.Since)
	}
	var ids []string
	for _, c := range got.Cases {
		ids = append(ids, fmt.Sprintf("%s/%v", c.CaseID, c.Confidential))
	}
	if want := "OFF-0001/false OFF-0002/true OFF-0003/false"; strings.Join(ids, " ") != want {
		t.Errorf("cases = %v; want %s (another platform's and batch's apart)", ids, want)
	}
	if err := b.SaveBatchCase(ctx, "slack", "", offboard.BatchCase{CaseID: "OFF-0001"}, t0); offboard.ErrorCode(err) != offboard.EINVALID {
		t.Errorf("a case record without a batch: %v; want EINVALID", err)
	}
}

func contractAuditReading(t *testing.T, s offboard.Store) {
	b, ctx := backend(t, s), context.Background()
	if seq, head, err := b.AuditHead(ctx); err != nil || seq != 0 || head != "" {
		t.Fatalf("AuditHead of an empty chain = %d %q %v", seq, head, err)
	}
	one, two := offboard.FormatCaseID(1), offboard.FormatCaseID(2)
	update(t, s, func(tx offboard.Tx) error {
		if err := tx.PutCase(NewCase(one, "dana@example.com")); err != nil {
			return err
		}
		if err := tx.PutCase(NewCase(two, "eve@example.com")); err != nil {
			return err
		}
		for i, c := range []offboard.CaseID{one, two, one} {
			e := offboard.AuditEvent{Time: t0.Add(time.Duration(i) * time.Second), Action: "case.test", CaseID: c, Outcome: "ok", Detail: "about Dana Leaver"}
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
		}
		return nil
	})
	if err := b.AuditLog(offboard.NewRedactor("s3cret-token")).Append(ctx, offboard.AuditEvent{Time: t0, Action: "signin", Outcome: "ok", Detail: "with s3cret-token"}); err != nil {
		t.Fatal(err)
	}
	seq, head, err := b.AuditHead(ctx)
	if err != nil || seq != 4 || head == "" {
		t.Fatalf("AuditHead = %d %q %v; want 4 events", seq, head, err)
	}
	var all []*offboard.AuditEvent
	if err := b.AuditEvents(ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[3].Hash != head || all[0].Detail != "about Dana Leaver" || strings.Contains(all[3].Detail, "s3cret") {
		t.Fatalf("AuditEvents = %d events (last %+v); want 4 in order, plaintext back, the secret redacted", len(all), all[len(all)-1])
	}
	var chained []*offboard.AuditEvent
	if err := b.AuditEventsChained(ctx, offboard.AuditFilter{CaseID: one}, func(e *offboard.AuditEvent) error { chained = append(chained, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(chained) != 2 || chained[0].Seq != 1 || chained[1].Seq != 3 || !strings.Contains(chained[0].Detail, "[pd:") {
		t.Errorf("AuditEventsChained of %s = %v; want events 1 and 3 with tokens", one, chained)
	}
	stop := fmt.Errorf("stop")
	n := 0
	if err := b.AuditEvents(ctx, offboard.AuditFilter{}, func(*offboard.AuditEvent) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("an error from fn: %v after %d events; want it back after 1", err, n)
	}
	hashes, err := b.AuditHashes(ctx, []uint64{2, 4, 99})
	if err != nil || len(hashes) != 2 || hashes[2] != all[1].Hash || hashes[4] != head {
		t.Errorf("AuditHashes = %v, %v; want events 2 and 4 only", hashes, err)
	}
	if err := b.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func contractFigures(t *testing.T, s offboard.Store) {
	b, ctx := backend(t, s), context.Background()
	update(t, s, func(tx offboard.Tx) error {
		for i, st := range []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseOpen, offboard.CaseCompleted} {
			c := NewCase(offboard.FormatCaseID(uint64(i+1)), fmt.Sprintf("p%d@example.com", i))
			c.Status = st
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		for i, id := range []string{"j1", "j2", "j3"} {
			j := &offboard.Job{ID: id, Kind: offboard.JobAction, Priority: offboard.PriorityRevocation, NotBefore: t0.Add(time.Duration(i) * time.Minute)}
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	// Moving a case to another status moves its count.
	update(t, s, func(tx offboard.Tx) error {
		c, err := tx.Case(offboard.FormatCaseID(2))
		if err != nil {
			return err
		}
		c.Status = offboard.CaseCancelled
		return tx.PutCase(c)
	})
	counts, err := b.CaseCounts(ctx)
	want := map[offboard.CaseStatus]int{offboard.CaseOpen: 1, offboard.CaseCompleted: 1, offboard.CaseCancelled: 1}
	if err != nil || len(counts) != len(want) || counts[offboard.CaseOpen] != 1 || counts[offboard.CaseCompleted] != 1 || counts[offboard.CaseCancelled] != 1 {
		t.Errorf("CaseCounts = %v, %v; want %v", counts, err, want)
	}
	claimed, err := b.ClaimJobs(ctx, t0, 1, nil)
	if err != nil || len(claimed) != 1 || claimed[0].ID != "j1" {
		t.Fatalf("ClaimJobs = %v, %v", claimed, err)
	}
	if err := b.DeadLetterJob(ctx, "j1", offboard.JobFailure{Error: "gave up"}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ClaimJobs(ctx, t0.Add(time.Minute), 1, nil); err != nil {
		t.Fatal(err)
	}
	f, err := b.QueueFigures(ctx, t0.Add(10*time.Minute))
	if err != nil || f.Queued != 1 || f.Leased != 1 || f.Dead != 1 || f.OldestDue != 8*time.Minute {
		t.Errorf("QueueFigures = %+v, %v; want 1 queued (due 8m ago), 1 leased, 1 dead", f, err)
	}
}
