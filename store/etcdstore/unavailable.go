package etcdstore

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrUnavailable is wrapped by the errors of reads and commits when the
// cluster did not answer: a majority of its members is down or cut off
// (no quorum, so no leader), or none of the endpoints can be reached.
// Nothing of the command was written: a commit is one transaction.
var ErrUnavailable = errors.New("etcd cluster unavailable")

// ErrTooManyOps is wrapped when a command needs more operations in one
// transaction than the etcd server's --max-txn-ops allows.
var ErrTooManyOps = errors.New("etcd transaction too large")

// ErrRequestTooLarge is wrapped when a transaction's bytes pass the etcd
// server's --max-request-bytes (1.5 MiB by default) or the client's 2 MiB
// send limit: the server refuses it whole, so nothing was written.
var ErrRequestTooLarge = errors.New("etcd request too large")

// noQuorum are the server's answers when it has no leader to order a
// request, or lost it while waiting.
var noQuorum = []error{
	rpctypes.ErrNoLeader, rpctypes.ErrLeaderChanged, rpctypes.ErrStopped, rpctypes.ErrUnhealthy,
	rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost,
	rpctypes.ErrTimeoutWaitAppliedIndex,
}

// explain gives err the words an operator needs: a cluster without a
// quorum, or a server limit to raise. Other errors pass unchanged.
func (s *Store) explain(err error) error { return explainLimit(err, s.maxTxnOps) }

// explainErr is explain where no store's limit is known.
func explainErr(err error) error { return explainLimit(err, 0) }

func explainLimit(err error, assumed int) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTooManyOps) || errors.Is(err, ErrRequestTooLarge) {
		return err
	}
	if tooLarge(err) {
		return fmt.Errorf("%w: the transaction is larger than the etcd members accept (--max-request-bytes, 1.5 MiB by default), "+
			"so nothing of it was written: %w", ErrRequestTooLarge, err)
	}
	if errors.Is(err, rpctypes.ErrTooManyOps) {
		want := "the operations a command needs (1024 for the default playbooks)"
		if assumed > 0 {
			want = fmt.Sprintf("at least %d, the limit this offboard was told", assumed)
		}
		return fmt.Errorf("%w: the etcd server refused a transaction of more operations than its --max-txn-ops allows: "+
			"raise --max-txn-ops on every member to %s: %w", ErrTooManyOps, want, err)
	}
	if !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: no quorum of members answered before the deadline, so nothing was written "+
		"(are most members down or cut off from each other?): %w", ErrUnavailable, err)
}

// tooLarge reports a request refused for its size, by the server or by
// the client before sending.
func tooLarge(err error) bool {
	if errors.Is(err, rpctypes.ErrRequestTooLarge) {
		return true
	}
	var st interface{ GRPCStatus() *status.Status }
	return errors.As(err, &st) && st.GRPCStatus().Code() == codes.ResourceExhausted
}

func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	for _, e := range noQuorum {
		if errors.Is(err, e) {
			return true
		}
	}
	var st interface{ GRPCStatus() *status.Status }
	if errors.As(err, &st) {
		switch st.GRPCStatus().Code() {
		case codes.Unavailable, codes.DeadlineExceeded:
			return true
		}
	}
	return false
}
