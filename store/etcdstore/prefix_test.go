package etcdstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/store/etcdstore"
)

// TestStore_New_refusesNestedPrefixes: two offboards on one cluster with
// prefixes "a/" and "a/b/" would share keys (a role on "a/" reaches
// "a/b/", and "a/cases/" would land among a/'s cases), so the inner one
// is refused whichever starts first; prefixes side by side are fine.
func TestStore_New_refusesNestedPrefixes(t *testing.T) {
	cli := startEtcd(t)
	ctx := context.Background()
	open := func(prefix string) error {
		_, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: prefix, MaxTxnOps: testMaxTxnOps})
		return err
	}
	if err := open("a/"); err != nil {
		t.Fatal(err)
	}
	for _, inner := range []string{"a/b/", "a/cases/", "a/b/c/"} {
		err := open(inner)
		if !errors.Is(err, etcdstore.ErrPrefixOverlaps) || !strings.Contains(err.Error(), `inside the offboard store at "a/"`) {
			t.Errorf("New(%q) under a store at a/: %v; want ErrPrefixOverlaps naming a/", inner, err)
		}
		if _, err := etcdstore.NewImport(ctx, cli, inner, 0); !errors.Is(err, etcdstore.ErrPrefixOverlaps) {
			t.Errorf("NewImport(%q) under a store at a/: %v; want ErrPrefixOverlaps", inner, err)
		}
	}
	if err := open("ab/"); err != nil {
		t.Errorf("ab/ beside a/: %v", err)
	}
	// The inner store first: the outer prefix then holds keys that are
	// not its own, and says where.
	if err := open("x/y/"); err != nil {
		t.Fatal(err)
	}
	err := open("x/")
	if !errors.Is(err, etcdstore.ErrPrefixOverlaps) || !strings.Contains(err.Error(), `"x/y"`) {
		t.Errorf("New(x/) over a store at x/y/: %v; want ErrPrefixOverlaps naming x/y", err)
	}
	// A second migration onto a store says it is one, rather than
	// suggesting to delete it as an unfinished copy.
	_, err = etcdstore.NewImport(ctx, cli, "a/", 0)
	if err == nil || !strings.Contains(err.Error(), "already holds an offboard store") || strings.Contains(err.Error(), "etcdctl del") {
		t.Errorf("NewImport onto the store at a/: %v", err)
	}
}
