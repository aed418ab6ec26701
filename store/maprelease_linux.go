//go:build linux

package store

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// releaseMap drops a read-only shared file mapping's pages from the
// process's page tables. The mapping stays valid: a later read maps the
// page again from the page cache, or reads it from the file.
func releaseMap(addr uintptr, size int64) error {
	if size <= 0 {
		return nil
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, uintptr(size), syscall.MADV_DONTNEED); errno != 0 {
		return fmt.Errorf("madvise: %w", errno)
	}
	return nil
}

// fileResident is the process's resident memory backed by files and
// shared memory (the third field of /proc/self/statm), in bytes.
func fileResident() (int64, bool) {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(raw)
	if len(f) < 3 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(f[2]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
