package etcdstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// TestImport_refusesWhatItDoesNotKnow: a bucket, a meta key or a counter
// this offboard does not know stops the import rather than being left
// behind, and an import that did not finish leaves a prefix no store
// opens.
func TestImport_refusesWhatItDoesNotKnow(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	cli := c.Client()
	ctx := context.Background()
	for _, tc := range []struct {
		rec  etcdstore.Record
		want string
	}{
		{etcdstore.Record{Kind: "teams_refs", Key: []byte("k"), Value: []byte("v")}, `bucket "teams_refs" is not one this offboard knows`},
		{etcdstore.Record{Kind: "meta", Key: []byte("future"), Value: []byte("v")}, `meta key "future"`},
		{etcdstore.Record{Kind: "sequence", Key: []byte("dedupe"), Value: []byte("3")}, `"dedupe" has a counter`},
		{etcdstore.Record{Kind: "meta", Key: []byte("schema_version"), Value: []byte("2")}, "schema version is \"2\""},
		{etcdstore.Record{Kind: "cases", Key: []byte("OFF-0001"), Value: nil}, "empty value"},
	} {
		im, err := etcdstore.NewImport(ctx, cli, "refuse/", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := im.Add(tc.rec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: %v; want %q", tc.rec.Kind, tc.rec.Key, err, tc.want)
		}
	}

	im, err := etcdstore.NewImport(ctx, cli, "half/", 0)
	if err != nil {
		t.Fatal(err)
	}
	im.Progress = func(int) {}
	for _, r := range []etcdstore.Record{
		{Kind: "meta", Key: []byte("schema_version"), Value: []byte("1")},
		{Kind: "cases", Key: []byte("OFF-0001"), Value: []byte(`{"id":"OFF-0001"}`)},
		{Kind: "idx_status", Key: []byte("open\x00OFF-0001")},
	} {
		if err := im.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	// Interrupted before Finish: a batch already written (put here by
	// hand; the three records above wait in the buffer) makes a prefix
	// that New refuses.
	if _, err := cli.Put(ctx, "half/cases/OFF-0002", `{"id":"OFF-0002"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "half/"}); err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("New on an unfinished import: %v", err)
	}
	if err := im.Finish(); err != nil {
		t.Fatal(err)
	}
	s, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "half/"})
	if err != nil {
		t.Fatalf("New after Finish: %v", err)
	}
	counts, err := s.CountKinds(ctx)
	if err != nil || counts["cases"] != 2 || counts["idx_status"] != 1 {
		t.Errorf("counts %v, %v", counts, err)
	}
}
