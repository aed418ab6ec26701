//go:build !unix

package store

import (
	"os"
	"time"
)

// lockShared does not lock where bbolt does not use flock: the file
// check before bbolt's own open then runs unlocked.
func lockShared(*os.File, time.Duration) (bool, error) { return true, nil }

// unlockFile is a no-op where bbolt does not lock with flock; closing the
// file releases its lock there.
func unlockFile(*os.File) {}

// lockExclusive does not lock where bbolt does not use flock.
func lockExclusive(*os.File, time.Duration) (bool, error) { return true, nil }
