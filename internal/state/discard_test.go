package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDiscard(t *testing.T) {
	t.Run("removes an unlocked store", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := Discard(dir); err != nil {
			t.Fatalf("Discard: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, dbFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("state.db still there: %v", err)
		}
	})
	t.Run("refuses a locked store and keeps it", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var locked *LockedError
		if err := Discard(dir); !errors.As(err, &locked) {
			t.Fatalf("Discard: got %v, want a *LockedError", err)
		}
		if _, err := os.Stat(filepath.Join(dir, dbFile)); err != nil {
			t.Errorf("state.db removed while locked: %v", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		if err := Discard(filepath.Join(t.TempDir(), "nope")); err != nil {
			t.Errorf("Discard: got %v, want nil", err)
		}
	})
	t.Run("symlink is refused", func(t *testing.T) {
		target := t.TempDir()
		if err := os.WriteFile(filepath.Join(target, dbFile), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(t.TempDir(), "state")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if err := Discard(link); err == nil {
			t.Fatal("Discard: got nil, want an error")
		}
		if _, err := os.Stat(filepath.Join(target, dbFile)); err != nil {
			t.Errorf("the link's target lost its store: %v", err)
		}
	})
}
