package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// get is one Get bounded by Options.CallTimeout: walks of many pages
// (VerifyAudit, each) bound each page, not the whole walk.
func (s *Store) get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	return s.cli.Get(ctx, key, opts...)
}

// rangePage is how many keys one request of each returns, so a large
// kind (100,000 cases' index entries) is never one huge response.
const rangePage = 5000

// each calls fn with the rest of every key under kind (after the
// store's prefix and kind) and its value, in key order, all read at one
// revision (0: the newest, fixed by the first page). Tombstones (empty
// values) are skipped. It returns the revision read at.
func (s *Store) each(ctx context.Context, kind string, rev int64, fn func(rest string, val []byte) error) (int64, error) {
	from, end := s.prefix+kind, s.prefix+prefixEnd(kind)
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(rangePage)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := s.get(ctx, from, opts...)
		if err != nil {
			return rev, fmt.Errorf("range %s: %w", kind, err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, e := range resp.Kvs {
			if len(e.Value) == 0 {
				continue
			}
			if err := fn(string(e.Key[len(s.prefix)+len(kind):]), e.Value); err != nil {
				return rev, err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}
