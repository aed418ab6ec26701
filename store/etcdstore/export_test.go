package etcdstore

import clientv3 "go.etcd.io/etcd/client/v3"

// SessionLease is the leader's live session lease, for tests that end it
// from outside as an expiry would.
func (l *Leader) SessionLease() clientv3.LeaseID { return l.lease() }
