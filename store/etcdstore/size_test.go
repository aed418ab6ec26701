package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// TestImport_boundsBatchBytes: records of a few KiB each (tasks with
// their evidence) are copied in transactions under etcd's default 1.5 MiB
// request limit, not in batches of 500 that the members refuse; a record
// no member would take fails the copy saying which limit, and the prefix
// is left without a schema version.
func TestImport_boundsBatchBytes(t *testing.T) {
	cli := etcdtest.StartCluster(t, 1).Client()
	ctx := context.Background()
	im, err := etcdstore.NewImport(ctx, cli, "big/", etcdtest.MaxTxnOps)
	if err != nil {
		t.Fatal(err)
	}
	evidence := strings.Repeat("e", 4<<10)
	const tasks = 600
	recs := []etcdstore.Record{{Kind: "meta", Key: []byte("schema_version"), Value: []byte("1")}}
	for i := range tasks {
		recs = append(recs, etcdstore.Record{Kind: "tasks", Key: fmt.Appendf(nil, "OFF-0001\x00task-%04d", i),
			Value: fmt.Appendf(nil, `{"evidence":%q}`, evidence)})
	}
	for _, r := range recs {
		if err := im.Add(r); err != nil {
			t.Fatalf("add %s: %v", r.Key, err)
		}
	}
	if err := im.Finish(); err != nil {
		t.Fatalf("finish: %v", err)
	}
	s, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "big/"})
	if err != nil {
		t.Fatal(err)
	}
	if counts, err := s.CountKinds(ctx); err != nil || counts["tasks"] != tasks {
		t.Errorf("counts %v, %v; want %d tasks", counts, err, tasks)
	}

	im, err = etcdstore.NewImport(ctx, cli, "huge/", etcdtest.MaxTxnOps)
	if err != nil {
		t.Fatal(err)
	}
	_ = im.Add(etcdstore.Record{Kind: "meta", Key: []byte("schema_version"), Value: []byte("1")})
	err = im.Add(etcdstore.Record{Kind: "cases", Key: []byte("OFF-0001"), Value: []byte(strings.Repeat("x", 1600<<10))})
	if err == nil {
		err = im.Finish()
	}
	if !errors.Is(err, etcdstore.ErrRequestTooLarge) || !strings.Contains(err.Error(), "--max-request-bytes") {
		t.Errorf("a 1.6 MB record: %v; want ErrRequestTooLarge naming --max-request-bytes", err)
	}
	if _, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "huge/"}); err != nil {
		t.Errorf("nothing written, so the prefix opens as a new store: %v", err)
	}
}

// TestStore_Update_tooLarge: a command whose transaction passes etcd's
// request limit fails saying so, and writes nothing: the chain is as it
// was and verifies.
func TestStore_Update_tooLarge(t *testing.T) {
	cli := startEtcd(t)
	s := newStore(t, cli, "large/")
	ctx := context.Background()
	log := s.AuditLog(nil)
	ev := offboard.AuditEvent{Time: time.Now(), Actor: offboard.Actor{Kind: "system", ID: "test"}, Action: "note.added", Outcome: "ok"}
	if err := log.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	ev.Detail = strings.Repeat("n", 1600<<10)
	err := log.Append(ctx, ev)
	if !errors.Is(err, etcdstore.ErrRequestTooLarge) || !strings.Contains(err.Error(), "nothing of it was written") {
		t.Fatalf("a 1.6 MB note: %v; want ErrRequestTooLarge", err)
	}
	res, err := s.VerifyAudit(ctx)
	if err != nil || !res.OK || res.Events != 1 {
		t.Errorf("after the refused note: %+v, %v; want the one event, verified", res, err)
	}
}
