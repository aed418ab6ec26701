package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// CorruptError says the store file is damaged: bbolt's own structure
// (pages, meta pages, the free list) or the layout this package writes
// is not what it must be. It is not tampering with the audit chain,
// which VerifyAudit reports; the file is unusable and must be restored.
type CorruptError struct {
	Path    string
	Problem string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store file is corrupt: %s: %s", e.Path, e.Problem)
}

func corrupt(path, format string, args ...any) *CorruptError {
	return &CorruptError{Path: path, Problem: fmt.Sprintf(format, args...)}
}

// bbolt's on-disk format (version 2), which bbolt does not export: a page
// header of 16 bytes, then on pages 0 and 1 the meta record, whose last
// field is an FNV-64a checksum of the fields before it. Integers are in
// the machine's byte order.
const (
	boltMagic         = 0xED0CDAED
	boltVersion       = 2
	boltPageHeader    = 16
	boltMetaSize      = 64
	boltChecksumAt    = boltPageHeader + 56
	boltNoFreelist    = ^uint64(0)
	boltMinPageSize   = 512
	boltMaxPageSize   = 1 << 20
	boltDefaultPageSz = 4096
)

// boltMeta is the part of a meta page the file check reads.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // the high-water mark: pages in use are below it
	txid     uint64
}

// parseBoltMeta reads the meta record of a page; page must hold at least
// the header and the record.
func parseBoltMeta(page []byte) (boltMeta, error) {
	ne := binary.NativeEndian
	m := page[boltPageHeader:]
	if ne.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, errors.New("it is not a bbolt meta page (wrong magic number)")
	}
	if v := ne.Uint32(m[4:]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("it has bbolt format version %d, not %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(page[boltPageHeader:boltChecksumAt])
	if h.Sum64() != ne.Uint64(page[boltChecksumAt:]) {
		return boltMeta{}, errors.New("its checksum does not match")
	}
	return boltMeta{pageSize: ne.Uint32(m[8:]), root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]),
		pgid: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, nil
}

// checkFileHeader validates both meta pages and the file's size against
// them before bbolt maps the file. bbolt itself silently falls back to
// the older meta page when one is damaged (losing the last commit
// without a word) and maps pages past the end of a truncated file, where
// a read kills the process with SIGBUS; both are refused here.
func checkFileHeader(path string, f *os.File) (boltMeta, error) {
	metas, err := checkMetaPages(path, f)
	if err != nil {
		return boltMeta{}, err
	}
	if metas[1].txid > metas[0].txid {
		return metas[1], nil
	}
	return metas[0], nil
}

// checkMetaPages validates both meta pages and the file's size against
// them, and returns both.
func checkMetaPages(path string, f *os.File) ([2]boltMeta, error) {
	info, err := f.Stat()
	if err != nil {
		return [2]boltMeta{}, fmt.Errorf("store: %s: %w", path, err)
	}
	size := info.Size()
	head := make([]byte, 2*boltDefaultPageSz)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return [2]boltMeta{}, fmt.Errorf("store: read %s: %w", path, err)
	}
	head = head[:n]
	if len(head) < boltPageHeader+boltMetaSize {
		return [2]boltMeta{}, corrupt(path, "it is %d bytes long, too short for a store", size)
	}
	m0, err0 := parseBoltMeta(head)
	pageSize := int64(boltDefaultPageSz)
	if err0 == nil {
		pageSize = int64(m0.pageSize)
	}
	if pageSize < boltMinPageSize || pageSize > boltMaxPageSize || pageSize&(pageSize-1) != 0 {
		return [2]boltMeta{}, corrupt(path, "meta page 0 gives an impossible page size %d", pageSize)
	}
	page1 := make([]byte, boltPageHeader+boltMetaSize)
	if _, err := f.ReadAt(page1, pageSize); err != nil {
		if err0 != nil {
			return [2]boltMeta{}, corrupt(path, "meta page 0 is damaged: %v; and the file is too short for meta page 1", err0)
		}
		return [2]boltMeta{}, corrupt(path, "it is %d bytes long, too short for its second meta page", size)
	}
	m1, err1 := parseBoltMeta(page1)
	switch {
	case err0 != nil && err1 != nil:
		return [2]boltMeta{}, corrupt(path, "both meta pages are damaged: page 0: %v; page 1: %v", err0, err1)
	case err0 != nil, err1 != nil:
		bad, why := 0, err0
		if err1 != nil {
			bad, why = 1, err1
		}
		return [2]boltMeta{}, corrupt(path, "meta page %d is damaged: %v (bbolt would fall back to the other one and lose the last write)", bad, why)
	case m0.pageSize != m1.pageSize:
		return [2]boltMeta{}, corrupt(path, "the meta pages disagree on the page size (%d and %d)", m0.pageSize, m1.pageSize)
	}
	for i, m := range []boltMeta{m0, m1} {
		switch {
		case m.pgid < 2 || m.root < 2 || m.root >= m.pgid:
			return [2]boltMeta{}, corrupt(path, "meta page %d points its root at page %d of %d", i, m.root, m.pgid)
		case m.freelist != boltNoFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
			return [2]boltMeta{}, corrupt(path, "meta page %d points its free list at page %d of %d", i, m.freelist, m.pgid)
		case m.pgid > uint64(size/pageSize):
			return [2]boltMeta{}, corrupt(path, "the file is truncated: meta page %d says it holds %d pages (%d bytes), but it is %d bytes long",
				i, m.pgid, m.pgid*uint64(pageSize), size)
		}
	}
	return [2]boltMeta{m0, m1}, nil
}

// withFaultsAsPanics runs fn with memory faults turned into panics, and
// any panic of fn into a *CorruptError. bbolt reads the file through a
// memory map and trusts it: a damaged page makes it index out of range,
// panic on a page id check, or read past the end of the mapped file, a
// SIGBUS that would otherwise kill the process. Only panics and faults on
// this goroutine are caught, so fn must not start goroutines that read.
func withFaultsAsPanics(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = corrupt(path, "reading it failed: %v", r)
		}
	}()
	return fn()
}

// checkFile checks the whole file before it is used: it reads every
// page, key and value of every bucket on this goroutine (so a damaged
// page is a *CorruptError, never a crash), then runs bbolt's consistency
// check (every page reachable once or free, keys in order) and checks
// that there is no bucket this package does not write (Open checks that
// none is missing). It returns nil or a *CorruptError.
func (db *DB) checkFile() error {
	return withFaultsAsPanics(db.path, func() error {
		return db.view(func(btx *bolt.Tx) error {
			// Open has checked the page tree without the memory map
			// (checkPages); this walk reads it through the map, as every
			// later read will, before bbolt's check runs on a goroutine of
			// its own, where a fault could not be caught.
			if err := btx.ForEach(func(name []byte, b *bolt.Bucket) error {
				if !knownBucket(name) {
					return corrupt(db.path, "it has an unknown bucket %q", name)
				}
				walkBucket(b)
				return nil
			}); err != nil {
				return err
			}
			var problems []string
			for err := range btx.Check() {
				problems = append(problems, err.Error())
			}
			if len(problems) > 0 {
				return corrupt(db.path, "its page structure is damaged (bbolt's check: %s)", summarize(problems, 2))
			}
			return nil
		})
	})
}

// walkBucket reads every key and value of b and the buckets in it, so a
// page that cannot be read faults here.
func walkBucket(b *bolt.Bucket) uint32 {
	var sum uint32
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		sum = crc32.Update(sum, crc32.IEEETable, k)
		if v != nil {
			sum = crc32.Update(sum, crc32.IEEETable, v)
			continue
		}
		if child := b.Bucket(k); child != nil {
			sum ^= walkBucket(child)
		}
	}
	return sum
}

func knownBucket(name []byte) bool {
	for _, b := range append(allBuckets(), lazyBuckets()...) {
		if string(b) == string(name) {
			return true
		}
	}
	return false
}

// summarize joins the first n problems and counts the rest.
func summarize(problems []string, n int) string {
	if len(problems) <= n {
		return strings.Join(problems, "; ")
	}
	return fmt.Sprintf("%s; and %d more problems", strings.Join(problems[:n], "; "), len(problems)-n)
}
