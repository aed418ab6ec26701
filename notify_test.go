package offboard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

type notifierFunc func(offboard.Notice) error

func (f notifierFunc) Notify(_ context.Context, n offboard.Notice) error { return f(n) }

func TestNotifiers_Notify(t *testing.T) {
	var got []string
	slow := &offboard.RateLimitError{API: "chat", Reset: time.Now().Add(time.Minute)}
	ns := offboard.Notifiers{
		notifierFunc(func(offboard.Notice) error { got = append(got, "a"); return slow }),
		notifierFunc(func(offboard.Notice) error { got = append(got, "b"); return nil }),
	}
	err := ns.Notify(context.Background(), offboard.Notice{Kind: offboard.NoticeTasksUpdated})
	if len(got) != 2 {
		t.Fatalf("platforms told: %v, want both even when the first fails", got)
	}
	if _, ok := errors.AsType[*offboard.RateLimitError](err); !ok {
		t.Fatalf("err = %v, want the rate limit to stay visible to the runner", err)
	}
	if offboard.ErrorCode(err) != offboard.EUNAVAILABLE {
		t.Fatalf("code = %q, want EUNAVAILABLE", offboard.ErrorCode(err))
	}
}
