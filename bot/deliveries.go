package bot

import (
	"context"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// memoryDeliveries is the DeliveryLog of a driver wired without a store
// (tests, tools): it forgets at a restart and keeps at most
// maxMemoryDeliveries markers.
type memoryDeliveries struct {
	mu    sync.Mutex
	seen  map[string]bool
	order []string
}

const maxMemoryDeliveries = 10000

func (m *memoryDeliveries) Delivered(_ context.Context, platform, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[platform+"\x00"+id], nil
}

func (m *memoryDeliveries) MarkDelivered(_ context.Context, platform, id string, _ offboard.CaseID, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := platform + "\x00" + id
	if m.seen[k] {
		return nil
	}
	m.seen[k] = true
	m.order = append(m.order, k)
	if len(m.order) > maxMemoryDeliveries {
		delete(m.seen, m.order[0])
		m.order = m.order[1:]
	}
	return nil
}
