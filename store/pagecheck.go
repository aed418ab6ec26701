package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
)

// bbolt page flags and element layout (format version 2).
const (
	boltBranchPage   = 0x01
	boltLeafPage     = 0x02
	boltFreelistPage = 0x10
	boltBucketLeaf   = 0x01
	boltElementSize  = 16
	boltBucketHeader = 16
	// boltMaxDepth bounds the tree (and nested bucket) depth; a real file
	// is a few levels deep, a damaged one can loop.
	boltMaxDepth = 64
)

// pageChecker checks the page structure of a store file with plain reads,
// before bbolt maps it. bbolt trusts every page id, element offset, count
// and overflow it reads, so a single damaged byte can make it read outside
// the file (SIGBUS, which kills the process), allocate terabytes for a
// free list, or loop for ever on a page that points at itself. After this
// check, every page reachable from the meta page and the free list is
// inside the file, of the right type, referenced once, and every element
// lies inside its page, and the keys of every page are in order and
// within the range their parent gives them (a damaged key otherwise
// makes lookups miss records, and writes go to the wrong place).
type pageChecker struct {
	// ctx ends a check of a running store early (shutdown); the walk of
	// a million-case file takes a minute and holds a read transaction,
	// which Close waits for.
	ctx      context.Context
	reads    int
	path     string
	f        *os.File
	pageSize uint64
	hwm      uint64   // pages in use are below the high-water mark
	seen     []uint64 // a bit per page
}

// checkPages runs the checks on the file f with current meta m.
func checkPages(ctx context.Context, path string, f *os.File, m boltMeta) error {
	c := &pageChecker{ctx: ctx, path: path, f: f, pageSize: uint64(m.pageSize), hwm: m.pgid, seen: make([]uint64, m.pgid/64+1)}
	if m.freelist != boltNoFreelist {
		if err := c.freelist(m.freelist); err != nil {
			return err
		}
	}
	return c.tree(m.root, 0, nil, nil)
}

// read reads page id and its overflow pages, checking its header.
func (c *pageChecker) read(id uint64, want uint16) ([]byte, error) {
	if c.reads++; c.reads%ctxCheckEvery == 1 { // the first, then every ctxCheckEvery
		if err := c.ctx.Err(); err != nil {
			return nil, err
		}
	}
	if id < 2 || id >= c.hwm {
		return nil, corrupt(c.path, "a reference to page %d, outside the %d pages in use", id, c.hwm)
	}
	if c.seen[id/64]&(1<<(id%64)) != 0 {
		return nil, corrupt(c.path, "page %d is referenced twice (a loop or a shared page)", id)
	}
	head := make([]byte, boltPageHeader)
	if _, err := c.f.ReadAt(head, int64(id*c.pageSize)); err != nil {
		return nil, corrupt(c.path, "page %d cannot be read: %v", id, err)
	}
	ne := binary.NativeEndian
	if got := ne.Uint64(head); got != id {
		return nil, corrupt(c.path, "page %d says it is page %d", id, got)
	}
	if flags := ne.Uint16(head[8:]); flags&want == 0 {
		return nil, corrupt(c.path, "page %d has type %#x where a %s page belongs", id, flags, pageTypeName(want))
	}
	overflow := uint64(ne.Uint32(head[12:]))
	if id+overflow >= c.hwm {
		return nil, corrupt(c.path, "page %d claims %d overflow pages, past the %d pages in use", id, overflow, c.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if c.seen[p/64]&(1<<(p%64)) != 0 {
			return nil, corrupt(c.path, "page %d overlaps page %d, which is in use elsewhere", id, p)
		}
		c.seen[p/64] |= 1 << (p % 64)
	}
	buf := make([]byte, (1+overflow)*c.pageSize)
	if _, err := c.f.ReadAt(buf, int64(id*c.pageSize)); err != nil {
		return nil, corrupt(c.path, "page %d cannot be read: %v", id, err)
	}
	return buf, nil
}

func pageTypeName(flags uint16) string {
	switch flags {
	case boltFreelistPage:
		return "free-list"
	case boltLeafPage:
		return "leaf"
	}
	return "branch or leaf"
}

// freelist checks the free-list page: its count fits the page and every
// id is a page in use range.
func (c *pageChecker) freelist(id uint64) error {
	buf, err := c.read(id, boltFreelistPage)
	if err != nil {
		return err
	}
	ne := binary.NativeEndian
	if ne.Uint16(buf[8:]) != boltFreelistPage {
		return corrupt(c.path, "the free list (page %d) is not a free-list page", id)
	}
	data := buf[boltPageHeader:]
	count := uint64(ne.Uint16(buf[10:]))
	if count == 0xFFFF {
		// A long list keeps its length in its first slot.
		count = ne.Uint64(data) + 1
	}
	if count > uint64(len(data))/8 {
		return corrupt(c.path, "the free list (page %d) claims %d entries, more than fit in it", id, count)
	}
	start := uint64(0)
	if ne.Uint16(buf[10:]) == 0xFFFF {
		start = 1
	}
	for i := start; i < count; i++ {
		if p := ne.Uint64(data[i*8:]); p < 2 || p >= c.hwm {
			return corrupt(c.path, "the free list (page %d) lists page %d, outside the %d pages in use", id, p, c.hwm)
		}
	}
	return nil
}

// inOrder checks that key, the i-th of a page, follows prev and lies in
// [lo, hi) (nil: unbounded), as bbolt's own check requires.
func (c *pageChecker) inOrder(where string, i int, key, prev, lo, hi []byte) error {
	switch {
	case i > 0 && bytes.Compare(key, prev) <= 0:
		return corrupt(c.path, "%s: key %d is out of order (not after key %d)", where, i, i-1)
	case i == 0 && lo != nil && bytes.Compare(key, lo) < 0:
		return corrupt(c.path, "%s: its first key is out of order (before its parent's key)", where)
	case hi != nil && bytes.Compare(key, hi) >= 0:
		return corrupt(c.path, "%s: key %d is out of order (not before its parent's next key)", where, i)
	}
	return nil
}

// tree checks the branch or leaf page id and everything below it; its
// keys must lie in [lo, hi).
func (c *pageChecker) tree(id uint64, depth int, lo, hi []byte) error {
	if depth > boltMaxDepth {
		return corrupt(c.path, "the page tree is more than %d levels deep at page %d", boltMaxDepth, id)
	}
	buf, err := c.read(id, boltBranchPage|boltLeafPage)
	if err != nil {
		return err
	}
	ne := binary.NativeEndian
	count := int(ne.Uint16(buf[10:]))
	switch ne.Uint16(buf[8:]) {
	case boltBranchPage:
		keys := make([][]byte, 0, count)
		for i := range count {
			at := boltPageHeader + i*boltElementSize
			if at+boltElementSize > len(buf) {
				return corrupt(c.path, "page %d claims %d elements, more than fit in it", id, count)
			}
			pos, ksize := uint64(ne.Uint32(buf[at:])), uint64(ne.Uint32(buf[at+4:]))
			if uint64(at)+pos+ksize > uint64(len(buf)) {
				return corrupt(c.path, "page %d: the key of element %d lies outside the page", id, i)
			}
			keys = append(keys, buf[uint64(at)+pos:uint64(at)+pos+ksize])
		}
		for i, key := range keys {
			var prev []byte
			if i > 0 {
				prev = keys[i-1]
			}
			if err := c.inOrder(fmt.Sprintf("page %d", id), i, key, prev, lo, hi); err != nil {
				return err
			}
		}
		for i := range count {
			// A child holds the keys from its element's key to the next one's.
			next := hi
			if i+1 < count {
				next = keys[i+1]
			}
			if err := c.tree(ne.Uint64(buf[boltPageHeader+i*boltElementSize+8:]), depth+1, keys[i], next); err != nil {
				return err
			}
		}
		return nil
	case boltLeafPage:
		return c.leaf(fmt.Sprintf("page %d", id), buf, count, depth, lo, hi)
	}
	return corrupt(c.path, "page %d is neither a branch nor a leaf page", id)
}

// leaf checks the elements of a leaf page (buf starts at its header) and
// the buckets stored in it; its keys must lie in [lo, hi).
func (c *pageChecker) leaf(where string, buf []byte, count, depth int, lo, hi []byte) error {
	ne := binary.NativeEndian
	var prev []byte
	for i := range count {
		at := boltPageHeader + i*boltElementSize
		if at+boltElementSize > len(buf) {
			return corrupt(c.path, "%s claims %d elements, more than fit in it", where, count)
		}
		flags := ne.Uint32(buf[at:])
		pos, ksize, vsize := uint64(ne.Uint32(buf[at+4:])), uint64(ne.Uint32(buf[at+8:])), uint64(ne.Uint32(buf[at+12:]))
		end := uint64(at) + pos + ksize + vsize
		if end > uint64(len(buf)) {
			return corrupt(c.path, "%s: element %d lies outside the page", where, i)
		}
		key := buf[uint64(at)+pos : uint64(at)+pos+ksize]
		if err := c.inOrder(where, i, key, prev, lo, hi); err != nil {
			return err
		}
		prev = key
		if flags&boltBucketLeaf == 0 {
			continue
		}
		value := buf[uint64(at)+pos+ksize : end]
		if len(value) < boltBucketHeader {
			return corrupt(c.path, "%s: bucket %q has a header of %d bytes", where, buf[uint64(at)+pos:uint64(at)+pos+ksize], len(value))
		}
		if root := ne.Uint64(value); root != 0 {
			if err := c.tree(root, depth+1, nil, nil); err != nil {
				return err
			}
			continue
		}
		// An inline bucket: a leaf page inside the value.
		inline := value[boltBucketHeader:]
		if len(inline) < boltPageHeader || ne.Uint16(inline[8:]) != boltLeafPage {
			return corrupt(c.path, "%s: inline bucket %q is damaged", where, buf[uint64(at)+pos:uint64(at)+pos+ksize])
		}
		if depth+1 > boltMaxDepth {
			return corrupt(c.path, "%s: buckets are nested more than %d deep", where, boltMaxDepth)
		}
		if err := c.leaf(fmt.Sprintf("%s, inline bucket %q", where, buf[uint64(at)+pos:uint64(at)+pos+ksize]), inline, int(ne.Uint16(inline[10:])), depth+1, nil, nil); err != nil {
			return err
		}
	}
	return nil
}
