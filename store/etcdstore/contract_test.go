package etcdstore_test

import (
	"fmt"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/storetest"
)

// TestStore_TxContract runs the contract the bbolt store keeps, each
// subtest in its own prefix of one etcd member.
func TestStore_TxContract(t *testing.T) {
	cli := startEtcd(t)
	n := 0
	storetest.TxContract(t, func(t *testing.T) offboard.Store {
		n++
		return newStore(t, cli, fmt.Sprintf("contract%d/", n))
	})
}
