package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestDemoNeverWritesWhereItDidNotCreate proves that `reaper demo --dir D` writes only into a new
// or empty directory, or one an earlier demo created (its marker file), and refuses everything
// else without changing a byte.
func TestDemoNeverWritesWhereItDidNotCreate(t *testing.T) {
	t.Run("foreign non-empty directory is refused untouched", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "config.yaml")
		writeFile(t, cfg, "precious: true\n")
		writeFile(t, filepath.Join(dir, "state", "state.db"), "real marks")

		r := reaper(t, "demo", "--dir", dir)
		if r.code != exitFailure {
			t.Fatalf("exit: got %d, want %d; stderr: %s", r.code, exitFailure, r.stderr)
		}
		if !strings.Contains(r.stderr, dir) || !strings.Contains(r.stderr, "not created by") {
			t.Errorf("stderr should name the directory and why: %s", r.stderr)
		}
		assertFile(t, cfg, "precious: true\n")
		assertFile(t, filepath.Join(dir, "state", "state.db"), "real marks")
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err == nil {
			t.Errorf("the refused directory got a demo marker")
		}
	})
	t.Run("a file instead of a directory is refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "file")
		writeFile(t, path, "data")
		if r := reaper(t, "demo", "--dir", path); r.code != exitFailure {
			t.Fatalf("exit: got %d, want %d; stderr: %s", r.code, exitFailure, r.stderr)
		}
		assertFile(t, path, "data")
	})
	t.Run("new, then repeated, then locked", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "demo")
		for i := range 2 {
			r := reaper(t, "demo", "--dir", dir)
			if r.code != exitOK {
				t.Fatalf("demo run %d: exit %d, stderr: %s", i+1, r.code, r.stderr)
			}
		}
		// A daemon started on the demo's config holds the state lock: the demo must not touch it.
		st, err := state.Open(filepath.Join(dir, "state"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		before, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		r := reaper(t, "demo", "--dir", dir)
		if r.code != exitFailure || !strings.Contains(r.stderr, "in use") {
			t.Fatalf("demo on a locked state: exit %d, stderr %q; want exit 1 naming the lock", r.code, r.stderr)
		}
		assertFile(t, filepath.Join(dir, "config.yaml"), string(before))
		if _, err := os.Stat(filepath.Join(dir, "state", "state.db")); err != nil {
			t.Errorf("the locked store was removed: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			t.Errorf("no marker after a demo: %v", err)
		}
	})
	t.Run("empty existing directory", func(t *testing.T) {
		dir := t.TempDir()
		if r := reaper(t, "demo", "--dir", dir); r.code != exitOK {
			t.Fatalf("exit %d, stderr: %s", r.code, r.stderr)
		}
	})
	t.Run("state that is a symlink is refused", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "demo")
		if r := reaper(t, "demo", "--dir", dir); r.code != exitOK {
			t.Fatalf("exit %d, stderr: %s", r.code, r.stderr)
		}
		elsewhere := t.TempDir()
		writeFile(t, filepath.Join(elsewhere, "state.db"), "someone else's store")
		if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, filepath.Join(dir, "state")); err != nil {
			t.Fatal(err)
		}
		if r := reaper(t, "demo", "--dir", dir); r.code != exitFailure {
			t.Fatalf("exit: got %d, want %d; stderr: %s", r.code, exitFailure, r.stderr)
		}
		assertFile(t, filepath.Join(elsewhere, "state.db"), "someone else's store")
	})
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if string(got) != want {
		t.Errorf("%s: got %q, want %q (it was changed)", path, got, want)
	}
}
