package etcdstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// CaseCounts counts cases by status from the status index, at one
// revision, for /metrics and the dashboard.
func (s *Store) CaseCounts(ctx context.Context) (map[offboard.CaseStatus]int, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	counts := map[offboard.CaseStatus]int{}
	_, err := s.each(ctx, kindIdxStatus, 0, func(rest string, _ []byte) error {
		st, _, _ := strings.Cut(rest, "\x00")
		counts[offboard.CaseStatus(st)]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: case counts: %w", err)
	}
	return counts, nil
}

// QueueFigures counts the outbox (queued, leased, dead) and finds its
// longest wait, every range at one revision. A job stays in jobq while
// it is leased: it is leased exactly while its claims/ key exists
// (claims.go). Within a priority jobq is ordered by when a job becomes
// due, so each priority's first unclaimed key holds its longest wait.
func (s *Store) QueueFigures(ctx context.Context, now time.Time) (offboard.QueueFigures, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	var f offboard.QueueFigures
	claimed := map[string]bool{}
	rev, err := s.each(ctx, kindClaims, 0, func(id string, _ []byte) error { claimed[id] = true; return nil })
	var firstOfRank []string
	lastRank := -1
	if err == nil {
		_, err = s.each(ctx, kindJobQueue, rev, func(rest string, _ []byte) error {
			if len(rest) < queueKeyPrefix {
				return fmt.Errorf("job queue key %x is too short", rest)
			}
			if claimed[rest[queueKeyPrefix:]] {
				f.Leased++
				return nil
			}
			f.Queued++
			if int(rest[0]) != lastRank {
				lastRank = int(rest[0])
				firstOfRank = append(firstOfRank, rest)
			}
			return nil
		})
	}
	if err == nil {
		_, err = s.each(ctx, kindDead, rev, func(string, []byte) error { f.Dead++; return nil })
	}
	if err != nil {
		return offboard.QueueFigures{}, fmt.Errorf("etcdstore: queue figures: %w", err)
	}
	for _, k := range firstOfRank {
		nb := binary.BigEndian.Uint64([]byte(k[1:9]))
		due := time.Unix(0, int64(nb))
		if nb == 0 {
			// Written without a due time: its creation time counts.
			resp, err := s.cli.Get(ctx, s.prefix+kindJobs+k[queueKeyPrefix:])
			if err != nil {
				return offboard.QueueFigures{}, fmt.Errorf("etcdstore: queue figures: %w", err)
			}
			var j offboard.Job
			if len(resp.Kvs) > 0 && json.Unmarshal(resp.Kvs[0].Value, &j) == nil {
				due = j.CreatedAt
			}
		}
		if w := now.Sub(due); w > f.OldestDue {
			f.OldestDue = w
		}
	}
	return f, nil
}
