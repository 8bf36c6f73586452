package state

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Info describes a state database, as Inspect found it.
type Info struct {
	Path          string
	SchemaVersion string
	Runs          int
	LastSeq       uint64
	LastRunTime   time.Time // zero when no run was recorded
	OpenIntents   int
	Size          int64
}

// Inspect opens the state in dir read-only, checks every page and the schema,
// and describes it. It fails as OpenReadOnly does: a *CorruptError for a file
// that is not a readable state database, a *LockedError while a writer holds
// it, an error wrapping fs.ErrNotExist when there is no state yet.
func Inspect(dir string) (Info, error) {
	s, err := OpenReadOnly(dir)
	if err != nil {
		return Info{}, err
	}
	defer s.Close()
	info := Info{Path: s.path}
	if fi, err := os.Stat(s.path); err == nil {
		info.Size = fi.Size()
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		info.SchemaVersion = string(tx.Bucket(bucketMeta).Get([]byte(keySchemaVersion)))
		if b := tx.Bucket(bucketRuns); b != nil {
			info.Runs = b.Stats().KeyN
			info.LastSeq = b.Sequence()
		}
		t, _, err := lastRunTime(tx)
		info.LastRunTime = t
		return err
	})
	if err != nil {
		return Info{}, fmt.Errorf("inspect state: %w", err)
	}
	open, err := s.OpenIntents()
	if err != nil {
		return Info{}, err
	}
	info.OpenIntents = len(open)
	return info, nil
}

// Backup writes a copy of the state database in dir to dst, which must not
// exist, through a temporary file and a rename (mode 0600). A readable store
// is copied as one consistent snapshot; a file that is not a readable state
// database is copied byte for byte, and raw is true. Backup never changes the
// original. While a writer holds the store it fails with a *LockedError.
func Backup(dir, dst string) (raw bool, err error) {
	if _, err := os.Lstat(dst); err == nil {
		return false, fmt.Errorf("backup state: %s already exists", dst)
	}
	s, err := OpenReadOnly(dir)
	var ce *CorruptError
	switch {
	case errors.As(err, &ce):
		return true, writeAtomic(dst, func(w io.Writer) error {
			f, err := os.Open(ce.Path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
	case err != nil:
		return false, err
	}
	defer s.Close()
	return false, writeAtomic(dst, func(w io.Writer) error {
		return s.db.View(func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(w)
			return err
		})
	})
}

// writeAtomic writes dst through a temporary file beside it, synced and
// renamed; it refuses to replace an existing dst.
func writeAtomic(dst string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup state: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("backup state: %w", err)
	}
	if err := write(tmp); err != nil {
		return fmt.Errorf("backup state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("backup state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup state: %w", err)
	}
	if err := os.Link(tmp.Name(), dst); err != nil { // fails if dst appeared meanwhile
		return fmt.Errorf("backup state: %w", err)
	}
	_ = os.Remove(tmp.Name())
	return syncDir(filepath.Dir(dst))
}

// Reset moves the state database in dir aside to state.db.reset-<UTC time>
// (never deleting it) and creates a fresh, empty store in its place. It takes
// the directory's lock, so it fails with a *LockedError while a reaper runs.
// movedTo is empty when there was no database to move.
func Reset(dir string, now time.Time) (movedTo string, err error) {
	lock, err := lockDir(dir, "")
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, lock.release()) }()
	path := filepath.Join(dir, dbFile)
	if _, err := os.Lstat(path); err == nil {
		movedTo, err = moveAside(path, now)
		if err != nil {
			return "", err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reset state: %w", err)
	}
	s, err := openDB(dir, false, nil)
	if err != nil {
		return movedTo, fmt.Errorf("reset state: %w", err)
	}
	return movedTo, s.db.Close()
}

// moveAside renames path to a free name with now's UTC time in it.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".reset-" + now.UTC().Format("20060102T150405Z")
	for i := 0; ; i++ {
		dst := base
		if i > 0 {
			dst = fmt.Sprintf("%s-%d", base, i)
		}
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.Rename(path, dst); err != nil {
			return "", fmt.Errorf("reset state: move %s aside: %w", path, err)
		}
		return dst, syncDir(filepath.Dir(path))
	}
}
