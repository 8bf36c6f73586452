package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestEveryTruncationRefused cuts a store at every half page: each cut into
// the pages in use is a *CorruptError for readers and writers, never a panic
// or a SIGBUS (bbolt maps the file and would read past its end). A cut in the
// space bbolt allocated ahead loses nothing and opens.
func TestEveryTruncationRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), dbFile)
	data := writeStore(t, path)
	ps := os.Getpagesize()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := readMeta(f, 0)
	m1, err1 := readMeta(f, int64(ps))
	f.Close()
	if err != nil || err1 != nil {
		t.Fatal(err, err1)
	}
	if m1.txid > m.txid {
		m = m1
	}
	inUse := int(m.highPgid) * ps
	if inUse >= len(data) {
		t.Logf("no space allocated ahead: %d of %d bytes in use", inUse, len(data))
	}
	for n := 1; n < len(data); n += ps / 2 {
		dir := t.TempDir()
		writeBytes(data[:n])(t, filepath.Join(dir, dbFile))
		for name, open := range map[string]func(string, ...Option) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
			s, err := open(dir)
			if s != nil {
				s.Close()
			}
			if n >= inUse {
				if err != nil {
					t.Errorf("%s of the first %d bytes (%d in use) = %v, want success", name, n, inUse, err)
				}
				continue
			}
			if !errors.As(err, new(*CorruptError)) {
				t.Errorf("%s of the first %d of %d bytes = %v, want *CorruptError", name, n, len(data), err)
			}
		}
	}
}
