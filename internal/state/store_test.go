package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "state")
	s := openStoreIn(t, dir)

	for _, c := range []struct {
		path string
		want fs.FileMode
	}{
		{dir, 0o700 | fs.ModeDir},
		{filepath.Join(dir, "state.db"), 0o600},
		{filepath.Join(dir, lockFile), 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() & (fs.ModePerm | fs.ModeDir); got != c.want {
			t.Errorf("mode of %s = %v, want %v", c.path, got, c.want)
		}
	}
	if s.db.NoSync {
		t.Error("NoSync = true, want false: writes must be fsynced")
	}
	if got, ok, err := s.Meta(keySchemaVersion); err != nil || !ok || got != "1" {
		t.Errorf("Meta(schema_version) = %q, %v, %v; want \"1\", true, nil", got, ok, err)
	}
}

func TestOpenWritesPIDAndCloseRemovesIt(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readPID(dir), os.Getpid(); got != want {
		t.Errorf("pid file says %d, want %d", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(dir, pidFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pid file after Close: stat error %v, want not exist", err)
	}
	if _, err := s.Marks(); err == nil {
		t.Error("Marks after Close succeeded, want an error")
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	mark := Mark{InstanceID: "i-1", Policy: "reaper.idle", FirstSeen: at, Reasons: []string{"r"}}
	ref := Refusal{InstanceID: "i-2", Kind: RefusalCommitment, LearnedAt: at, RequestID: "req-1"}
	in := Intent{RunID: "20261126T080000Z-a", InstanceID: "i-3", CreatedAt: at, Reasons: []string{"r"}}
	run := Run{ID: "20261126T080000Z-a", Command: "run", StartedAt: at, InventoryComplete: true, InventorySize: 42}
	tr := TrafficRecord{InstanceID: "i-4", FetchedAt: at, Samples: 3, Expected: 3, InP95: 7}
	for _, err := range []error{
		s.ReplaceMarks(map[MarkKey]Mark{mark.Key(): mark}),
		s.PutRefusal(ref),
		s.PutIntent(in),
		putRun(s, run),
		s.PutTraffic(tr),
		s.SetMeta("k", "v"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStoreIn(t, dir)
	checkEqual(t, "marks", must(s.Marks())(t), map[MarkKey]Mark{mark.Key(): mark})
	checkEqual(t, "refusals", must(s.Refusals())(t), map[string]Refusal{"i-2": ref})
	checkEqual(t, "open intents", must(s.OpenIntents())(t), []Intent{in})
	run.Seq = 1
	checkEqual(t, "runs", must(s.Runs(0))(t), []Run{run})
	gotTr, ok, err := s.Traffic("i-4")
	if err != nil || !ok {
		t.Fatalf("Traffic(i-4) = _, %v, %v; want found", ok, err)
	}
	checkEqual(t, "traffic", gotTr, tr)
	if v, ok, err := s.Meta("k"); v != "v" || !ok || err != nil {
		t.Errorf("Meta(k) = %q, %v, %v; want \"v\", true, nil", v, ok, err)
	}
}

func TestSecondOpenInSameProcessIsLocked(t *testing.T) {
	dir := t.TempDir()
	s := openStoreIn(t, dir)

	_, err := Open(dir)
	checkLocked(t, err, dir, os.Getpid())
	if got, want := err.Error(), fmt.Sprintf("state directory %s is in use by another reaper (pid %d)", dir, os.Getpid()); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if got, want := readPID(dir), os.Getpid(); got != want {
		t.Errorf("pid file after refused Open says %d, want %d", got, want)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	openStoreIn(t, dir) // free again
}

func TestOpenHeldByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir)

	_, err := Open(dir)
	checkLocked(t, err, dir, h.cmd.Process.Pid)
	_, err = OpenReadOnly(dir)
	checkLocked(t, err, dir, h.cmd.Process.Pid)

	h.exit(t) // without Close
	s := openStoreIn(t, dir)
	checkEqual(t, "open intents", must(s.OpenIntents())(t), []Intent{helperIntent})
}

func TestCrashLeavesOpenIntentAndNoStaleLock(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir)
	h.kill(t)
	if got, want := readPID(dir), h.cmd.Process.Pid; got != want {
		t.Fatalf("pid file after crash says %d, want the dead holder's %d", got, want)
	}

	s := openStoreIn(t, dir)
	if got, want := readPID(dir), os.Getpid(); got != want {
		t.Errorf("pid file after reopen says %d, want %d", got, want)
	}
	checkEqual(t, "open intents", must(s.OpenIntents())(t), []Intent{helperIntent})
	o := Outcome{Result: "terminated", RequestID: "req-9", At: helperIntent.CreatedAt.Add(time.Minute)}
	if err := s.CompleteIntent(helperIntent.RunID, helperIntent.InstanceID, o); err != nil {
		t.Fatalf("CompleteIntent after crash: %v", err)
	}
	if got := must(s.OpenIntents())(t); len(got) != 0 {
		t.Errorf("open intents after completing = %v, want none", got)
	}
}

func TestStalePIDFileIsOverwritten(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	openStoreIn(t, dir)
	if got, want := readPID(dir), os.Getpid(); got != want {
		t.Errorf("pid file says %d, want %d", got, want)
	}
}

func TestSchemaVersionMismatch(t *testing.T) {
	tests := []struct {
		name, version, wantMsg string
	}{
		{"newer", "2", "has schema version 2, newer than version 1 that this reaper supports; upgrade reaper"},
		{"garbage", "one", `has unsupported schema version "one" (this reaper supports version 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := setSchemaVersion(t, dir, tt.version)

			for name, open := range map[string]func(string, ...Option) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
				_, err := open(dir)
				var se *SchemaError
				if !errors.As(err, &se) {
					t.Fatalf("%s error = %v, want *SchemaError", name, err)
				}
				if got, want := err.Error(), "state database "+path+" "+tt.wantMsg; got != want {
					t.Errorf("%s error = %q, want %q", name, got, want)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, pidFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("pid file left after failed Open: %v", err)
			}
		})
	}
}

// setSchemaVersion creates a store in dir with the given schema version and
// returns the database path.
func setSchemaVersion(t *testing.T, dir, version string) string {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(keySchemaVersion), []byte(version))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, dbFile)
}

func TestCorruptDatabase(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"text", writeBytes([]byte(strings.Repeat("not a database\n", 1000)))},
		{"zeros", writeBytes(make([]byte, 16384))},
		{"short", writeBytes([]byte("x"))},
		{"meta pages overwritten", overwritePages(0, 2)},
		{"data pages overwritten", overwritePages(2, -1)},
		{"foreign bbolt", writeForeignBolt},
		{"no schema version", writeNoVersion},
		{"empty", writeBytes(nil)},
		{"truncated to the meta pages", truncateStore(2)},
		{"truncated to four pages", truncateStore(4)},
		{"truncated mid page", truncateStore(-1)},
		{"freelist page corrupt", corruptFreelist},
		{"random garbage page", garbagePage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, dbFile)
			tt.write(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			for name, open := range map[string]func(string, ...Option) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
				s, err := open(dir)
				if err == nil {
					s.Close()
				}
				var ce *CorruptError
				if !errors.As(err, &ce) {
					t.Fatalf("%s error = %v, want *CorruptError", name, err)
				}
				if ce.Path != path || !strings.Contains(err.Error(), path) {
					t.Errorf("%s error %q (Path %q) does not name %s", name, err, ce.Path, path)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, pidFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("pid file left after failed Open: %v", err)
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(before, after) {
				t.Errorf("the file changed: %d bytes before, %d after (%v); a refused file must be left untouched", len(before), len(after), err)
			}
		})
	}
}

// writeStore writes a store with some data in every bucket and returns its bytes.
func writeStore(t *testing.T, path string) []byte {
	t.Helper()
	s, err := Open(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := s.PutRun(Run{ID: fmt.Sprintf("run-%03d", i), InventoryComplete: true, InventorySize: i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReplaceMarks(map[MarkKey]Mark{{InstanceID: "i-1", Policy: "reaper.idle"}: {FirstSeen: time.Unix(1, 0)}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// truncateStore writes a store and cuts it to pages pages (< 0: to half a
// page past the meta pages).
func truncateStore(pages int) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		data := writeStore(t, path)
		ps := os.Getpagesize()
		n := pages * ps
		if pages < 0 {
			n = 2*ps + ps/2
		}
		if n >= len(data) {
			t.Fatalf("store of %d bytes is too small to cut to %d", len(data), n)
		}
		writeBytes(data[:n])(t, path)
	}
}

// corruptFreelist writes a store and overwrites the page its current meta
// page names as the freelist: bbolt panics with "invalid freelist page".
func corruptFreelist(t *testing.T, path string) {
	t.Helper()
	data := writeStore(t, path)
	ps := os.Getpagesize()
	// meta: 16-byte page header, then magic, version, page size, flags (4 each),
	// root bucket (16), freelist pgid (8), high water pgid (8), txid (8).
	meta := func(p int) (freelist, txid uint64) {
		b := data[p*ps+16:]
		return binary.LittleEndian.Uint64(b[32:]), binary.LittleEndian.Uint64(b[48:])
	}
	fl0, tx0 := meta(0)
	fl1, tx1 := meta(1)
	fl := fl0
	if tx1 > tx0 {
		fl = fl1
	}
	if fl < 2 || int(fl+1)*ps > len(data) {
		t.Fatalf("freelist page %d outside the file", fl)
	}
	copy(data[int(fl)*ps:int(fl+1)*ps], bytes.Repeat([]byte{0xAB}, ps))
	writeBytes(data)(t, path)
}

// garbagePage writes a store and fills one data page, header included, with
// random bytes.
func garbagePage(t *testing.T, path string) {
	t.Helper()
	data := writeStore(t, path)
	ps := os.Getpagesize()
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 3 * ps; i < 4*ps; i++ {
		data[i] = byte(rnd.Uint32())
	}
	writeBytes(data)(t, path)
}

// overwritePages writes a store with some data, then fills pages [from, to)
// (to < 0: to the end) past their 16-byte headers with garbage.
func overwritePages(from, to int) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		s, err := Open(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ReplaceMarks(map[MarkKey]Mark{{InstanceID: "i-1", Policy: "reaper.idle"}: {FirstSeen: time.Unix(1, 0)}}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ps := os.Getpagesize()
		if to < 0 {
			to = len(data) / ps
		}
		for p := from; p < to; p++ {
			copy(data[p*ps+16:(p+1)*ps], bytes.Repeat([]byte{0xAB}, ps))
		}
		writeBytes(data)(t, path)
	}
}

// writeBytes returns a writer of data to the database path.
func writeBytes(data []byte) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// writeForeignBolt writes a bbolt file with someone else's bucket.
func writeForeignBolt(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err }); err != nil {
		t.Fatal(err)
	}
}

// writeNoVersion writes a reaper database whose schema version was lost.
func writeNoVersion(t *testing.T, path string) {
	t.Helper()
	s, err := Open(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete([]byte(keySchemaVersion)) }); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta("k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	r1, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	t.Cleanup(func() { r1.Close() })
	r2, err := OpenReadOnly(dir) // readers share
	if err != nil {
		t.Fatalf("second OpenReadOnly: %v", err)
	}
	t.Cleanup(func() { r2.Close() })

	if v, ok, err := r2.Meta("k"); v != "v" || !ok || err != nil {
		t.Errorf("Meta(k) = %q, %v, %v; want \"v\", true, nil", v, ok, err)
	}
	if err := r1.SetMeta("k", "w"); !errors.Is(err, bolterr.ErrDatabaseReadOnly) {
		t.Errorf("SetMeta on a read-only store = %v, want ErrDatabaseReadOnly", err)
	}
	_, err = Open(dir, func(o *options) { o.lockTimeout = 100 * time.Millisecond })
	checkLocked(t, err, dir, 0)
}

func TestOpenReadOnlyWithoutState(t *testing.T) {
	_, err := OpenReadOnly(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenReadOnly(missing) = %v, want fs.ErrNotExist", err)
	}
}

// checkLocked fails unless err is a *LockedError for dir and pid.
func checkLocked(t *testing.T, err error, dir string, pid int) {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("error = %v, want *LockedError", err)
	}
	if le.Dir != dir || le.PID != pid {
		t.Errorf("LockedError = %+v, want Dir %s, PID %d", *le, dir, pid)
	}
}

// checkEqual fails with a diff unless got equals want.
func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// must returns a function that fails t if err is set and returns v:
// must(s.Marks())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// readPID is the PID in dir's PID file.
func readPID(dir string) int {
	pid, _ := readHolder(dir)
	return pid
}

// TestLockedErrorNamesTheHolder: a writer that names what it is (WithHolder) is named, with its
// PID, to the process it keeps out; a stale PID file's holder is never taken over by a writer that
// names none.
func TestLockedErrorNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte("999999\nreaper run\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var locked *LockedError
	if _, err := Open(dir, WithHolder("reaper run")); !errors.As(err, &locked) || locked.Holder != "" || locked.PID != os.Getpid() {
		t.Errorf("Open while a writer that names no holder holds it = %#v, want a LockedError with no holder", err)
	}
	s.Close()
	s, err = Open(dir, WithHolder("reaper plan"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(dir, WithHolder("reaper run"))
	if !errors.As(err, &locked) || locked.Holder != "reaper plan" || locked.PID != os.Getpid() {
		t.Fatalf("Open while reaper plan holds it = %#v, want a LockedError naming reaper plan", err)
	}
	if got, want := err.Error(), fmt.Sprintf("state directory %s is in use by another reaper (pid %d, reaper plan)", dir, os.Getpid()); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if _, err := OpenReadOnly(dir, func(o *options) { o.lockTimeout = 100 * time.Millisecond }); !errors.As(err, &locked) || locked.Holder != "reaper plan" {
		t.Errorf("OpenReadOnly while reaper plan holds it = %v, want a LockedError naming reaper plan", err)
	}
}
