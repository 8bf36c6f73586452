package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's file layout, as far as checkShape reads it: each meta page is a
// 16-byte page header, then magic, version, page size and flags (4 bytes
// each), the root bucket (pgid and sequence, 8 each), the freelist pgid, the
// high-water pgid, the transaction ID and a FNV-64a checksum of the 56 bytes
// before it (8 each), little-endian on the hosts reaper runs on.
const (
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	pageHeaderSize  = 16
	metaSize        = 64
	metaChecksumOff = 56
)

// boltMeta is what checkShape reads of a meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	highPgid uint64
	txid     uint64
}

// checkShape reads the meta pages of an existing database file and refuses a
// file that is shorter than the pages its newest valid meta page says it
// has. bbolt maps the file into memory and would read such pages past the end
// of the file: a SIGBUS, which no recover can catch.
func checkShape(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open state database %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open state database %s: %w", path, err)
	}
	m0, err0 := readMeta(f, 0)
	ps := int64(os.Getpagesize())
	if err0 == nil {
		ps = int64(m0.pageSize)
	}
	m1, err1 := readMeta(f, ps)
	var m boltMeta
	switch {
	case err0 != nil && err1 != nil:
		return &CorruptError{Path: path, Err: fmt.Errorf("no valid meta page: %w", err0)}
	case err0 != nil, err1 == nil && m1.txid > m0.txid:
		m = m1
	default:
		m = m0
	}
	size := fi.Size()
	if need := int64(m.highPgid) * int64(m.pageSize); size < need {
		return &CorruptError{Path: path, Err: fmt.Errorf("truncated: %d bytes, but its pages need %d", size, need)}
	}
	if m.root >= m.highPgid || (m.freelist != ^uint64(0) && m.freelist >= m.highPgid) {
		return &CorruptError{Path: path, Err: errors.New("meta page points past the last page")}
	}
	return nil
}

// readMeta reads and validates the meta page at offset off.
func readMeta(r io.ReaderAt, off int64) (boltMeta, error) {
	var b [pageHeaderSize + metaSize]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return boltMeta{}, fmt.Errorf("read meta page at %d: %w", off, err)
	}
	d := b[pageHeaderSize:]
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(d[:metaChecksumOff])
	switch {
	case le.Uint32(d[0:]) != boltMagic:
		return boltMeta{}, errors.New("not a bbolt file")
	case le.Uint32(d[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("unknown bbolt version %d", le.Uint32(d[4:]))
	case le.Uint64(d[metaChecksumOff:]) != h.Sum64():
		return boltMeta{}, errors.New("meta page checksum mismatch")
	}
	m := boltMeta{pageSize: le.Uint32(d[8:]), root: le.Uint64(d[16:]), freelist: le.Uint64(d[32:]),
		highPgid: le.Uint64(d[40:]), txid: le.Uint64(d[48:])}
	if m.pageSize < 1024 || m.pageSize > 1<<20 || m.highPgid < 2 {
		return boltMeta{}, fmt.Errorf("implausible meta page (page size %d, %d pages)", m.pageSize, m.highPgid)
	}
	return m, nil
}
