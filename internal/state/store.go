package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

const (
	dbFile = "state.db"
	// writerLockTimeout bounds the wait for bbolt's own file lock. The writer
	// already holds the directory lock, so only a read-only reaper can be in
	// the way, and it holds the file briefly.
	writerLockTimeout = 2 * time.Second
	// readerLockTimeout bounds a reader's wait: a running writer keeps the
	// file for its whole life, so waiting longer would not help.
	readerLockTimeout = 200 * time.Millisecond
)

// Store is reaper's state in one bbolt file. It is safe for concurrent use.
type Store struct {
	db        *bolt.DB
	path      string
	now       func() time.Time
	node      string
	lock      *dirLock // nil when read-only
	closeOnce sync.Once
	closeErr  error
}

// Option configures Open and OpenReadOnly.
type Option func(*options)

// options are what Option sets.
type options struct {
	now         func() time.Time
	node        string
	holder      string        // what holds the directory's lock, written beside its PID
	lockTimeout time.Duration // bbolt file lock wait; 0: the default for the mode
}

// WithNow sets the clock used to fill in timestamps a caller left zero.
func WithNow(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithNode sets the node name PutRun writes into runs that do not name one.
func WithNode(name string) Option {
	return func(o *options) { o.node = name }
}

// WithHolder names what the writer is (a daemon, a one-off command), written beside its PID so
// that a process refused the lock can tell who holds it (LockedError.Holder).
func WithHolder(name string) Option {
	return func(o *options) { o.holder = name }
}

// newOptions applies opts over the defaults for the mode.
func newOptions(readOnly bool, opts []Option) options {
	o := options{now: time.Now, lockTimeout: writerLockTimeout}
	if readOnly {
		o.lockTimeout = readerLockTimeout
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Open opens the state in dir for writing, creating dir (0700) and state.db
// (0600) when missing. It fails with a *LockedError when another reaper holds
// dir, a *SchemaError for an unsupported schema version and a *CorruptError
// for a file that is not a readable state database.
func Open(dir string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	lock, err := lockDir(dir, newOptions(false, opts).holder)
	if err != nil {
		return nil, err
	}
	s, err := openDB(dir, false, opts)
	if err != nil {
		return nil, errors.Join(err, lock.release())
	}
	s.lock = lock
	return s, nil
}

// OpenReadOnly opens the state in dir for reading only, without taking the
// writer's lock. While a writer has the database open it fails with a
// *LockedError naming the writer's PID.
func OpenReadOnly(dir string, opts ...Option) (*Store, error) {
	path := filepath.Join(dir, dbFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open state database: %w", err)
	}
	return openDB(dir, true, opts)
}

// openDB opens state.db in dir and checks (writer: also sets) its schema.
// Only a missing file is created: an existing one that is not a readable
// state database (empty, truncated, damaged) is refused with a *CorruptError
// and left as it is.
//
// An existing file is first opened read-only and checked page by page
// (bbolt's Check recovers its own panics), because a writer's open loads the
// freelist and panics on a damaged one, leaving the file mapped and locked.
// Any other bbolt panic here is recovered into a *CorruptError too.
func openDB(dir string, readOnly bool, opts []Option) (*Store, error) {
	path := filepath.Join(dir, dbFile)
	fi, statErr := os.Lstat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := checkExisting(path, fi, statErr); err != nil {
		return nil, err
	}
	o := newOptions(readOnly, opts)
	if readOnly {
		return openBolt(dir, path, true, created, o)
	}
	if !created {
		s, err := openBolt(dir, path, true, created, o)
		if err != nil {
			return nil, err
		}
		s.db.Close()
	}
	s, err := openBolt(dir, path, false, created, o)
	if err != nil {
		return nil, err
	}
	if created {
		if err := syncDir(dir); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	return s, nil
}

// openBolt opens path with bbolt and runs initSchema, turning a bbolt panic
// into a *CorruptError.
func openBolt(dir, path string, readOnly, created bool, o options) (s *Store, err error) {
	var file *os.File // bbolt's handle, to release what a panicking Open left
	var db *bolt.DB
	defer func() {
		if v := recover(); v != nil {
			closeAfterPanic(db, file)
			s, err = nil, &CorruptError{Path: path, Err: fmt.Errorf("bbolt panicked: %v", v)}
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout: o.lockTimeout, ReadOnly: readOnly,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	if err != nil {
		return nil, openError(dir, path, readOnly, !created, err)
	}
	db.NoSync = false // every commit is fsynced before it returns
	s = &Store{db: db, path: path, now: o.now, node: o.node}
	if err := s.initSchema(readOnly); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkExisting refuses a state file that exists but cannot be a database:
// not a regular file, empty (bbolt would silently initialise it), or shorter
// than its own meta page says (see checkShape).
func checkExisting(path string, fi fs.FileInfo, statErr error) error {
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		return nil
	case statErr != nil:
		return fmt.Errorf("open state database %s: %w", path, statErr)
	case !fi.Mode().IsRegular():
		return &CorruptError{Path: path, Err: fmt.Errorf("not a regular file (%v)", fi.Mode().Type())}
	case fi.Size() == 0:
		return &CorruptError{Path: path, Err: errors.New("the file is empty")}
	}
	return checkShape(path)
}

// closeAfterPanic releases what a panicking bbolt left open, ignoring
// further panics: the file is damaged and the caller reports that.
func closeAfterPanic(db *bolt.DB, file *os.File) {
	defer func() { _ = recover() }()
	if db != nil {
		_ = db.Close()
		return
	}
	if file != nil {
		_ = file.Close()
	}
}

// openError maps bbolt's open errors to this package's typed errors. Any
// other failure to open a file that existed, except a permission problem,
// means the file is not a readable database.
func openError(dir, path string, readOnly, existed bool, err error) error {
	switch {
	case errors.Is(err, bolterr.ErrTimeout):
		e := &LockedError{Dir: dir}
		if readOnly {
			e.PID, e.Holder = readHolder(dir)
		}
		return e
	case errors.Is(err, bolterr.ErrInvalid), errors.Is(err, bolterr.ErrChecksum),
		errors.Is(err, bolterr.ErrVersionMismatch), errors.Is(err, bolterr.ErrInvalidMapping):
		return &CorruptError{Path: path, Err: err}
	case existed && !errors.Is(err, fs.ErrPermission):
		return &CorruptError{Path: path, Err: err}
	}
	return fmt.Errorf("open state database %s: %w", path, err)
}

// syncDir makes a newly created file's directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync state directory: %w", err)
	}
	return nil
}

// Close closes the database, removes the PID file and releases the lock.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		err := s.db.Close()
		if s.lock != nil {
			err = errors.Join(err, s.lock.release())
		}
		if err != nil {
			s.closeErr = fmt.Errorf("close state store: %w", err)
		}
	})
	return s.closeErr
}
