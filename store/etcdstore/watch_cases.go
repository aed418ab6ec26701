package etcdstore

import (
	"context"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
)

// WatchCases calls changed with the id of each case a commit on any
// replica changes, until ctx is done. Every command that changes a case
// appends an audit event of it, so the case's audit index is watched.
// The leader's notices reach only the leader's console: this lets the
// console on every replica redraw what changed.
func (s *Store) WatchCases(ctx context.Context, changed func(offboard.CaseID)) {
	prefix := s.prefix + kindAuditCase
	for ctx.Err() == nil {
		wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithFilterDelete())
		for wr := range wch {
			if wr.Err() != nil {
				break
			}
			// One commit (a layoff's tick) may write many events of one
			// case: tell it once per batch of events.
			var last offboard.CaseID
			for _, ev := range wr.Events {
				if len(ev.Kv.Value) == 0 { // a tombstone: an erased index entry
					continue
				}
				id, _, ok := strings.Cut(string(ev.Kv.Key[len(prefix):]), "\x00")
				if !ok || offboard.CaseID(id) == last {
					continue
				}
				last = offboard.CaseID(id)
				changed(last)
			}
		}
		_ = sleep(ctx, sessionRetry) // the watch broke: etcd unreachable
	}
}
