package state

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	s := openStoreIn(t, dir)
	for _, r := range []Run{{ID: "a", StartedAt: t0}, {ID: "b", StartedAt: t0.Add(time.Hour)}} {
		if err := putRun(s, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutIntent(Intent{RunID: "b", InstanceID: "i-1", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(dir); !errors.As(err, new(*LockedError)) {
		t.Errorf("Inspect while a writer holds it = %v, want *LockedError", err)
	}
	s.Close()
	info, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Path: filepath.Join(dir, dbFile), SchemaVersion: "1", Runs: 2, LastSeq: 2,
		LastRunTime: t0.Add(time.Hour), OpenIntents: 1, Size: info.Size}
	checkEqual(t, "info", info, want)

	if _, err := Inspect(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Inspect without state = %v, want fs.ErrNotExist", err)
	}
	bad := t.TempDir()
	writeBytes(nil)(t, filepath.Join(bad, dbFile))
	if _, err := Inspect(bad); !errors.As(err, new(*CorruptError)) {
		t.Errorf("Inspect of an empty file = %v, want *CorruptError", err)
	}
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	s := openStoreIn(t, dir)
	if err := putRun(s, Run{ID: "a", InventoryComplete: true, InventorySize: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(dir, filepath.Join(t.TempDir(), "copy.db")); !errors.As(err, new(*LockedError)) {
		t.Errorf("Backup while a writer holds it = %v, want *LockedError", err)
	}
	s.Close()

	dst := filepath.Join(t.TempDir(), "copy.db")
	raw, err := Backup(dir, dst)
	if err != nil || raw {
		t.Fatalf("Backup = %v, %v; want a snapshot", raw, err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, %v; want mode 0600", fi, err)
	}
	restored := t.TempDir()
	if err := os.Rename(dst, filepath.Join(restored, dbFile)); err != nil {
		t.Fatal(err)
	}
	if size, ok, err := openStoreIn(t, restored).LastCompleteInventory(); size != 7 || !ok || err != nil {
		t.Errorf("restored backup: LastCompleteInventory = %d, %v, %v; want 7", size, ok, err)
	}

	if _, err := Backup(dir, filepath.Join(restored, dbFile)); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Backup over an existing file = %v, want an error", err)
	}

	bad := t.TempDir()
	garbage := bytes.Repeat([]byte("not a database\n"), 100)
	writeBytes(garbage)(t, filepath.Join(bad, dbFile))
	dst = filepath.Join(t.TempDir(), "bad.db")
	raw, err = Backup(bad, dst)
	if err != nil || !raw {
		t.Fatalf("Backup of a damaged file = %v, %v; want a raw copy", raw, err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, garbage) {
		t.Errorf("raw backup differs from the original")
	}
}

func TestReset(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, dbFile)
	garbage := []byte("truncated")
	writeBytes(garbage)(t, path)
	if _, err := Open(dir); !errors.As(err, new(*CorruptError)) {
		t.Fatalf("Open before reset = %v, want *CorruptError", err)
	}

	movedTo, err := Reset(dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := path + ".reset-20261126T080000Z"; movedTo != want {
		t.Errorf("moved to %s, want %s", movedTo, want)
	}
	if got, _ := os.ReadFile(movedTo); !bytes.Equal(got, garbage) {
		t.Errorf("the moved file changed")
	}
	fresh := openStoreIn(t, dir)
	if runs := must(fresh.Runs(0))(t); len(runs) != 0 {
		t.Errorf("fresh store has runs %v", runs)
	}

	// Held by a running reaper: refused, nothing moved.
	if _, err := Reset(dir, t0); !errors.As(err, new(*LockedError)) {
		t.Errorf("Reset while a reaper holds the directory = %v, want *LockedError", err)
	}
	fresh.Close()
	second, err := Reset(dir, t0) // same second: a free name, never overwriting
	if err != nil || second == movedTo || !strings.HasPrefix(second, movedTo) {
		t.Errorf("second reset moved to %q, %v; want a new name beside %s", second, err, movedTo)
	}
	if got, _ := os.ReadFile(movedTo); !bytes.Equal(got, garbage) {
		t.Errorf("the first moved file was overwritten")
	}
}
