package store_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/storetest"
)

// TestDB_TxContract runs the backend contract that etcdstore runs too.
func TestDB_TxContract(t *testing.T) {
	storetest.TxContract(t, func(t *testing.T) offboard.Store { return openDB(t) })
}
