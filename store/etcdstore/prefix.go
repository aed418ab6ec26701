package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrPrefixOverlaps is wrapped when a prefix lies inside another offboard
// store's, or holds keys no offboard store wrote.
var ErrPrefixOverlaps = errors.New("etcd prefix overlaps another store")

// enclosing lists the prefixes that hold prefix: "a/b/c/" is inside
// "a/" and "a/b/".
func enclosing(prefix string) []string {
	var out []string
	for i := 0; i < len(prefix)-1; i++ {
		if prefix[i] == '/' {
			out = append(out, prefix[:i+1])
		}
	}
	return out
}

// refuseNested refuses a prefix inside another offboard store's: "a/b/"
// under a store at "a/". A role granted the outer prefix reads and
// writes every key of the inner store, the outer store's whole-prefix
// compares and counts take in the inner one's keys, and an inner prefix
// named like a kind ("a/cases/") puts its keys among the outer store's
// records. An enclosing prefix this client may not read (etcd's
// permissions keep the two apart) is not checked.
func refuseNested(ctx context.Context, cli *clientv3.Client, prefix string) error {
	for _, outer := range enclosing(prefix) {
		resp, err := cli.Get(ctx, outer+keySchemaVersion, clientv3.WithCountOnly())
		switch {
		case errors.Is(err, rpctypes.ErrPermissionDenied):
			continue
		case err != nil:
			return explainErr(fmt.Errorf("etcdstore: check the prefixes around %q: %w", prefix, err))
		case resp.Count > 0:
			return fmt.Errorf("%w: prefix %q lies inside the offboard store at %q, whose keys and permissions would take in "+
				"this one's: pick a prefix outside it (prefixes of two offboards must not start one another)", ErrPrefixOverlaps, prefix, outer)
		}
	}
	return nil
}

// kindRoots are the first parts of every key a store writes after its
// prefix (see the package documentation).
var kindRoots = []string{"meta/", "cases/", "tasks/", "approvals/", "approvals_case/", "audit/", "audit_case/", "jobs/",
	"jobq/", "jobs_case/", "dead/", "dedupe/", "personal/", "idx/", "wake_by_case/", "claims/", "leader/", "delivered/", "batches/"}

// explainStrayKeys says what the keys under a prefix without a schema
// version are: an import that did not finish, or someone else's.
func explainStrayKeys(ctx context.Context, cli *clientv3.Client, prefix string) error {
	resp, err := cli.Get(ctx, prefix, clientv3.WithRange(prefixEnd(prefix)), clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	if err == nil && len(resp.Kvs) > 0 {
		rest := string(resp.Kvs[0].Key[len(prefix):])
		part, _, found := strings.Cut(rest, "/")
		if !found || !isKindRoot(part+"/") {
			// Only the first part of the key: the rest may hold an email.
			return fmt.Errorf("%w: etcdstore: open %s: the prefix holds keys that are not an offboard store's (under %q): "+
				"another deployment's prefix inside this one, or another application's keys. Pick a prefix no one else writes under",
				ErrPrefixOverlaps, prefix, prefix+part)
		}
	}
	return fmt.Errorf("etcdstore: open %s: the prefix holds keys but no schema version: "+
		"an `offboard migrate` that did not finish? Remove them and run it again into an empty prefix", prefix)
}

func isKindRoot(part string) bool {
	for _, k := range kindRoots {
		if k == part {
			return true
		}
	}
	return false
}

// CheckPrefix reports, writing nothing, whether a store may open at
// prefix: not inside another offboard store's, and holding a store or
// nothing (not an unfinished import, not someone else's keys). New
// refuses the same; config check and doctor say so before serve starts.
func CheckPrefix(ctx context.Context, cli *clientv3.Client, prefix string) error {
	if err := refuseNested(ctx, cli, prefix); err != nil {
		return err
	}
	resp, err := cli.Get(ctx, prefix+keySchemaVersion, clientv3.WithCountOnly())
	if err != nil {
		return explainErr(fmt.Errorf("etcdstore: check %s: %w", prefix, err))
	}
	if resp.Count > 0 {
		return nil
	}
	n, err := KeysUnder(ctx, cli, prefix)
	if err != nil || n == 0 {
		return err
	}
	return explainStrayKeys(ctx, cli, prefix)
}
