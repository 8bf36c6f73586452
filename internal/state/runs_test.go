package state

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// putRun records r, dropping its sequence number.
func putRun(s *Store, r Run) error {
	_, err := s.PutRun(r)
	return err
}

// TestMigrateRunsWithoutSeq opens a store written before runs had sequence
// numbers: runs keyed by timestamp IDs, no index. They get sequence numbers
// in key order, and a new run is newer than all of them whatever its ID.
func TestMigrateRunsWithoutSeq(t *testing.T) {
	dir := t.TempDir()
	writeOldStore(t, filepath.Join(dir, dbFile), []Run{
		{ID: "20261126T080000Z-a", StartedAt: t0, InventoryComplete: true, InventorySize: 10},
		{ID: "20261126T083000Z-b", StartedAt: t0.Add(30 * time.Minute), InventoryComplete: true, InventorySize: 11},
		{ID: "20301126T080000Z-fast", StartedAt: t0.AddDate(4, 0, 0), InventoryComplete: true, InventorySize: 12},
	})

	// A reader sees the old order before any writer migrated the file.
	r, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := runIDs(must(r.Runs(0))(t)); !slices.Equal(got, []string{"20301126T080000Z-fast", "20261126T083000Z-b", "20261126T080000Z-a"}) {
		t.Errorf("read-only runs before migration = %v", got)
	}
	r.Close()

	s := openStoreIn(t, dir)
	got := must(s.Runs(0))(t)
	for i, want := range []uint64{3, 2, 1} {
		if got[i].Seq != want {
			t.Errorf("migrated run %s seq = %d, want %d", got[i].ID, got[i].Seq, want)
		}
	}
	if lt, ok, _ := s.LastRunTime(); !ok || !lt.Equal(t0.AddDate(4, 0, 0)) {
		t.Errorf("LastRunTime after migration = %v, %v; want the fast run's time", lt, ok)
	}
	if seq, err := s.PutRun(Run{ID: "20261126T090000Z-c", StartedAt: t0.Add(time.Hour), InventoryComplete: true, InventorySize: 13}); err != nil || seq != 4 {
		t.Fatalf("PutRun after migration = %d, %v; want 4", seq, err)
	}
	if size, _, _ := s.LastCompleteInventory(); size != 13 {
		t.Errorf("LastCompleteInventory after migration = %d, want 13 (the run recorded last)", size)
	}
	if got := runIDs(must(s.Runs(2))(t)); !slices.Equal(got, []string{"20261126T090000Z-c", "20301126T080000Z-fast"}) {
		t.Errorf("newest runs = %v", got)
	}
}

// writeOldStore writes a schema-1 store as reaper wrote it before run
// sequence numbers: runs keyed by ID, without seq and without an index.
func writeOldStore(t *testing.T, path string, runs []Run) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketMarks, bucketRefusals, bucketIntents, bucketRuns, bucketTraffic} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Put([]byte(keySchemaVersion), []byte("1")); err != nil {
			return err
		}
		for _, r := range runs {
			data, err := json.Marshal(map[string]any{"id": r.ID, "started_at": r.StartedAt,
				"inventory_complete": r.InventoryComplete, "inventory_size": r.InventorySize})
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketRuns).Put([]byte(r.ID), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runIDs(runs []Run) []string {
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}
