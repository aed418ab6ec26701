package config

import (
	"time"

	"github.com/offboard-dev/offboard"
)

// Devices configures what offboard does about the devices a leaver
// must give back, whichever device system (if any) manages them.
type Devices struct {
	// WriteOffAfter is how long after the revocation point a device not
	// recorded received makes offboard ask the manager and one person of
	// Finance to approve its write-off; 0 never asks.
	WriteOffAfter offboard.Duration `yaml:"write_off_after" json:"write_off_after"`
}

// minWriteOffAfter: a write-off asked within hours of access going is a
// typo (a "30" meant as days), never a policy: returns take days.
const minWriteOffAfter = offboard.Duration(24 * time.Hour)

func (c *Config) validateDevices(v *validator) {
	if w := c.Devices.WriteOffAfter; w != 0 && w < minWriteOffAfter {
		v.add("devices.write_off_after", "must be 0 (never ask) or at least %s, got %s", minWriteOffAfter, w)
	}
}

// WriteOffAfter is devices.write_off_after as the engine takes it:
// negative for 0, which turns write-offs off (the engine reads a zero as
// its default).
func (c *Config) WriteOffAfter() time.Duration {
	if c.Devices.WriteOffAfter == 0 {
		return -1
	}
	return c.Devices.WriteOffAfter.D()
}
