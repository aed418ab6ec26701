package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
	"github.com/offboard-dev/offboard/store/storetest"
)

// migrateSource writes a store file as a stopped offboard leaves it: an
// open case, a closed one, an erased one, queued and leased jobs, a
// dedupe key, a delivery marker and a batch summary. It returns its path
// and the erased case.
func migrateSource(t *testing.T) (string, offboard.CaseID) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "offboard.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := testclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	hr := offboard.Actor{Kind: offboard.ActorPerson, Email: "hana.hr@example.com", Platform: "test"}
	admin := offboard.Actor{Kind: offboard.ActorPerson, Email: "ada.admin@example.com", Platform: "test"}
	eng, err := flows.New(flows.Options{Store: db, Clock: clock, Location: time.UTC, Retention: 24 * time.Hour,
		Connectors: offboard.Connectors{oktaconn.Declaration()},
		Roles: func(e string) []offboard.Role {
			switch e {
			case hr.Email:
				return []offboard.Role{offboard.RoleHR}
			case admin.Email:
				return []offboard.Role{offboard.RoleAdmin}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	apply := func(cmd offboard.Command) *offboard.Result {
		t.Helper()
		r, err := eng.Apply(ctx, cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd.Name(), err)
		}
		return r
	}
	open := func(email string) offboard.CaseID {
		return apply(offboard.OpenCase{By: offboard.System("hris"), Kind: offboard.Involuntary, Source: "bamboohr", DedupeKey: "evt-" + email,
			Employee: offboard.Employee{Name: "Person " + email, Email: email, ManagerEmail: "mona.manager@example.com"}}).Case.ID
	}
	erased := open("erased@example.com")
	closed := open("closed@example.com")
	open("open@example.com")
	apply(offboard.CancelCase{By: hr, CaseID: erased, Reason: "rehired"})
	apply(offboard.CancelCase{By: hr, CaseID: closed, Reason: "rehired"})
	clock.Advance(48 * time.Hour)
	if r := apply(offboard.EraseCase{By: admin, CaseID: erased, Reason: "retention passed"}); r.Erasure == nil {
		t.Fatal("the case was not erased")
	}
	// A worker held two jobs when offboard stopped.
	if leased, err := db.ClaimJobs(ctx, clock.Now(), 2, nil); err != nil || len(leased) != 2 {
		t.Fatalf("claim jobs: %v, %v", leased, err)
	}
	if err := db.MarkDelivered(ctx, "slack", "notice-1", closed, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveBatchSummary(ctx, "slack", "layoff-1", offboard.DeptIT, "msg-1", clock.Now()); err != nil {
		t.Fatal(err)
	}
	return path, erased
}

func runMigrate(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"migrate"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestMigrate_copiesAndVerifies: every kind of record arrives, the chain
// verifies in etcd with the source's head, leased jobs are queued again,
// and the erased case stays erased.
func TestMigrate_copiesAndVerifies(t *testing.T) {
	path, erased := migrateSource(t)
	c := etcdtest.StartCluster(t, 3)
	to := "etcd:" + strings.Join(c.Endpoints(), ",")

	code, out, errs := runMigrate("--from", "bbolt:"+path, "--to", to, "--dry-run")
	if code != 0 || !strings.Contains(out, "Dry run: nothing was written") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errs)
	}
	cli := c.Client()
	if n, err := etcdstore.KeysUnder(context.Background(), cli, etcdstore.DefaultPrefix); err != nil || n != 0 {
		t.Fatalf("the dry run wrote %d keys (%v)", n, err)
	}

	code, out, errs = runMigrate("--from", "bbolt:"+path, "--to", to)
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("output:\n%s", out)
	for _, want := range []string{"audit chain OK: ", "the prefix is empty", "2 jobs a worker held", "the store is in etcd and verified", "DIFFERS"} {
		if got := strings.Contains(out, want); got != (want != "DIFFERS") {
			t.Errorf("output has %q: %v", want, got)
		}
	}

	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	src, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	es, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: etcdstore.DefaultPrefix, MaxTxnOps: etcdtest.MaxTxnOps})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := es.VerifyAudit(ctx)
	if err != nil || !dst.OK || dst.Events != src.Events || dst.HeadHash != src.HeadHash {
		t.Fatalf("etcd chain %+v (%v); file chain %+v", dst, err, src)
	}
	counts, err := es.CountKinds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"cases", "tasks", "approvals", "audit", "jobs", "jobq", "dedupe", "personal", "delivered", "batches", "idx_wake", "wake_by_case"} {
		if counts[kind] == 0 {
			t.Errorf("no %s records in etcd", kind)
		}
	}
	// The chat platforms' bookkeeping reads back through the etcd store's
	// own ports: the import's kinds are the ones they read.
	if ok, err := es.Delivered(ctx, "slack", "notice-1"); err != nil || !ok {
		t.Errorf("the migrated delivery marker: delivered %v, %v", ok, err)
	}
	if b, err := es.LoadBatch(ctx, "slack", "layoff-1"); err != nil || b.Summaries[offboard.DeptIT] != "msg-1" {
		t.Errorf("the migrated batch record: %+v, %v", b, err)
	}
	// A copy holds no replica's claims nor an election: the jobs leased in
	// the file are queued, and the replicas campaign afresh.
	for _, kind := range []string{"claims/", "leader"} {
		if n, err := etcdstore.KeysUnder(ctx, cli, etcdstore.DefaultPrefix+kind); err != nil || n != 0 {
			t.Errorf("%d keys under %s after migrate (%v)", n, kind, err)
		}
	}
	// Erasure dropped the erased case's dedupe key (it named the person).
	if counts["cases"] != 3 || counts["dedupe"] != 2 {
		t.Errorf("cases %d, dedupe keys %d; want 3 and 2", counts["cases"], counts["dedupe"])
	}
	rec, err := cli.Get(ctx, etcdstore.DefaultPrefix+"personal/"+string(erased))
	if err != nil || len(rec.Kvs) != 1 || !strings.Contains(string(rec.Kvs[0].Value), `"erased_at"`) ||
		strings.Contains(string(rec.Kvs[0].Value), `"key"`) {
		t.Errorf("the erased case's personal record in etcd: %v, %v", rec, err)
	}
	err = es.View(ctx, func(tx offboard.Tx) error {
		cs, err := tx.Case(erased)
		if err != nil {
			return err
		}
		if strings.Contains(cs.Employee.Email, "erased@") {
			t.Errorf("the erased case reads %q in etcd", cs.Employee.Email)
		}
		ids, err := tx.CaseIDsByStatus(offboard.CaseOpen)
		if err != nil || len(ids) != 1 {
			t.Errorf("open cases by index: %v, %v", ids, err)
		}
		ready, err := tx.ReadyJobs(time.Now().Add(365*24*time.Hour), 1000, nil)
		if err != nil {
			return err
		}
		for _, j := range ready {
			if j.Leased {
				t.Errorf("job %s is still leased", j.ID)
			}
		}
		if len(ready) != counts["jobs"] {
			t.Errorf("%d jobs ready of %d: some are neither queued nor leased", len(ready), counts["jobs"])
		}
		// The engine goes on: ids continue after the copied ones.
		next, err := tx.LastCaseNumber()
		if err != nil || next != 3 {
			t.Errorf("last case number %d, %v; want 3", next, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Migrating again into the same prefix is refused: it is not empty.
	code, _, errs = runMigrate("--from", "bbolt:"+path, "--to", to)
	if code != 1 || !strings.Contains(errs, "already holds") || !strings.Contains(errs, "empty prefix") {
		t.Errorf("second migrate: exit %d: %s", code, errs)
	}
}

// TestMigrate_refuses: a source whose chain is broken, a store that a
// running offboard holds, an unfinished copy, and bad flags.
func TestMigrate_refuses(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	to := "etcd:" + c.Endpoint(0)
	cli := c.Client()
	ctx := context.Background()

	t.Run("tampered source", func(t *testing.T) {
		path, _ := migrateSource(t)
		if err := storetest.EditAuditEvent(path, 2, func(e *offboard.AuditEvent) { e.Action = "nothing_happened" }); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runMigrate("--from", "bbolt:"+path, "--to", to, "--prefix", "tampered/")
		if code != 1 || !strings.Contains(errs, "BROKEN at event 2") || !strings.Contains(errs, "Nothing was copied") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
		if n, _ := etcdstore.KeysUnder(ctx, cli, "tampered/"); n != 0 {
			t.Errorf("%d keys written from a tampered source", n)
		}
	})

	t.Run("serve holds the file", func(t *testing.T) {
		path, _ := migrateSource(t)
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		code, _, errs := runMigrate("--from", "bbolt:"+path, "--to", to, "--prefix", "held/", "--lock-timeout", "200ms")
		if code != 1 || !strings.Contains(errs, "held by a running offboard") || !strings.Contains(errs, "stop offboard serve") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})

	t.Run("target not empty", func(t *testing.T) {
		path, _ := migrateSource(t)
		if _, err := cli.Put(ctx, "busy/cases/OFF-0001", "{}"); err != nil {
			t.Fatal(err)
		}
		code, _, errs := runMigrate("--from", "bbolt:"+path, "--to", to, "--prefix", "busy/")
		if code != 1 || !strings.Contains(errs, `"busy/" holds 1 keys but no store`) {
			t.Errorf("exit %d: %s", code, errs)
		}
		// Nor does serve's store open such a prefix as new.
		if _, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "busy/"}); err == nil || !strings.Contains(err.Error(), "no schema version") {
			t.Errorf("etcdstore.New on keys without a schema version: %v", err)
		}
	})

	t.Run("members below --max-txn-ops 1024", func(t *testing.T) {
		path, _ := migrateSource(t)
		small := etcdtest.StartMaxTxnOps(t, 128)
		code, out, errs := runMigrate("--from", "bbolt:"+path, "--to", "etcd:"+small.Endpoint(), "--prefix", "small/")
		if code != 1 || !strings.Contains(errs, "run them with --max-txn-ops 1024") || !strings.Contains(errs, "nothing was copied") ||
			strings.Contains(out, "Copying") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
		if n, _ := etcdstore.KeysUnder(ctx, small.Client(t), "small/"); n != 0 {
			t.Errorf("%d keys written to members that refuse the import's transactions", n)
		}
	})

	t.Run("secret files others may read", func(t *testing.T) {
		path, _ := migrateSource(t)
		pw := filepath.Join(t.TempDir(), "etcd-password")
		if err := os.WriteFile(pw, []byte("hunter2-etcd\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runMigrate("--from", "bbolt:"+path, "--to", to, "--prefix", "readable/", "--user", "offboard", "--password-file", pw)
		if code != 1 || !strings.Contains(errs, "run chmod 600 "+pw) || strings.Contains(out+errs, "hunter2") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
		if n, _ := etcdstore.KeysUnder(ctx, cli, "readable/"); n != 0 {
			t.Errorf("%d keys written", n)
		}
	})

	t.Run("flags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--to", to}, "--from must be bbolt:PATH"},
			{[]string{"--from", "/x.db", "--to", to}, "--from must be bbolt:PATH"},
			{[]string{"--from", "bbolt:/x.db"}, "--to must be etcd:ENDPOINTS"},
			{[]string{"--from", "bbolt:/x.db", "--to", to, "--prefix", "noslash"}, `--prefix must end with "/"`},
			{[]string{"--from", "bbolt:/x.db", "--to", to, "--user", "root"}, "--user and --password-file go together"},
		} {
			code, _, errs := runMigrate(tc.args...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("%v: exit %d: %s", tc.args, code, errs)
			}
		}
	})
}

// TestMigrate_help: --help says what the command copies, what it
// refuses and what to do after.
func TestMigrate_help(t *testing.T) {
	code, out, errs := runMigrate("--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	help := out + errs
	for _, want := range []string{"--from bbolt:PATH --to etcd:", "byte for byte", "refuses a target prefix that holds anything",
		"stop it first", "-dry-run", "-prefix", "-cacert", "-password-file", "Exit 0", "never changed"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
}
