package state

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestRunsNewestFirst(t *testing.T) {
	s := openStore(t)
	mk := func(id string, size int) Run {
		return Run{ID: id, Command: "run", StartedAt: t0, FinishedAt: t0.Add(time.Minute),
			Result: "ok", InventoryComplete: true, InventorySize: size,
			Counts: map[string]int{"kept": size}}
	}
	r1, r2, r3 := mk("20261126T080000Z-a", 1), mk("20261126T083000Z-b", 2), mk("20261126T090000Z-c", 3)
	for i, r := range []*Run{&r1, &r2, &r3} {
		if err := putRun(s, *r); err != nil {
			t.Fatal(err)
		}
		r.Seq = uint64(i + 1)
	}
	r2.Result, r2.Error = "failed", "inventory: page 2: timeout"
	if err := putRun(s, r2); err != nil { // replace
		t.Fatal(err)
	}

	tests := []struct {
		limit int
		want  []Run
	}{
		{0, []Run{r3, r2, r1}},
		{-1, []Run{r3, r2, r1}},
		{2, []Run{r3, r2}},
		{1, []Run{r3}},
		{10, []Run{r3, r2, r1}},
	}
	for _, tt := range tests {
		checkEqual(t, "runs", must(s.Runs(tt.limit))(t), tt.want)
	}
}

// putRun records r, dropping its sequence number.
func putRun(s *Store, r Run) error {
	_, err := s.PutRun(r)
	return err
}

func TestPutRunEmptyID(t *testing.T) {
	s := openStore(t)
	if err := putRun(s, Run{Command: "run"}); err == nil {
		t.Error("PutRun without ID succeeded, want an error")
	}
}

func TestLastCompleteInventory(t *testing.T) {
	tests := []struct {
		name     string
		runs     []Run
		wantSize int
		wantOK   bool
	}{
		{"no runs", nil, 0, false},
		{"only incomplete", []Run{{ID: "1", InventorySize: 5}}, 0, false},
		{"newest complete", []Run{{ID: "1", InventoryComplete: true, InventorySize: 5},
			{ID: "2", InventoryComplete: true, InventorySize: 7}}, 7, true},
		{"skips newer incomplete", []Run{{ID: "1", InventoryComplete: true, InventorySize: 5},
			{ID: "2", InventorySize: 1}, {ID: "3", Error: "aborted"}}, 5, true},
		{"complete empty fleet", []Run{{ID: "1", InventoryComplete: true, InventorySize: 9},
			{ID: "2", InventoryComplete: true}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			for _, r := range tt.runs {
				if err := putRun(s, r); err != nil {
					t.Fatal(err)
				}
			}
			size, ok, err := s.LastCompleteInventory()
			if err != nil || size != tt.wantSize || ok != tt.wantOK {
				t.Errorf("LastCompleteInventory() = %d, %v, %v; want %d, %v, nil", size, ok, err, tt.wantSize, tt.wantOK)
			}
		})
	}
}

// TestRunsOrderedBySequenceNotTime: a run made with a fast clock (its ID
// sorts after everything real) must not stay "the newest run" for ever: the
// order is the order the store recorded the runs in.
func TestRunsOrderedBySequenceNotTime(t *testing.T) {
	s := openStore(t)
	runs := []Run{
		{ID: "20261126T080000Z-a", StartedAt: t0, InventoryComplete: true, InventorySize: 100},
		{ID: "20301126T080000Z-fast", StartedAt: t0.AddDate(4, 0, 0), InventoryComplete: true, InventorySize: 100},
		{ID: "20261126T083000Z-b", StartedAt: t0.Add(30 * time.Minute), InventoryComplete: true, InventorySize: 40},
		{ID: "20261126T090000Z-c", StartedAt: t0.Add(time.Hour), InventorySize: 3, Error: "aborted"},
	}
	for i, r := range runs {
		seq, err := s.PutRun(r)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(i + 1); seq != want {
			t.Errorf("PutRun(%s) seq = %d, want %d", r.ID, seq, want)
		}
		runs[i].Seq = seq
	}
	checkEqual(t, "runs", must(s.Runs(0))(t), []Run{runs[3], runs[2], runs[1], runs[0]})
	size, ok, err := s.LastCompleteInventory()
	if err != nil || !ok || size != 40 {
		t.Errorf("LastCompleteInventory() = %d, %v, %v; want 40, true, nil (the last recorded complete run)", size, ok, err)
	}
}

func TestPutRunKeepsSeqOnReplace(t *testing.T) {
	s := openStore(t)
	a := Run{ID: "a", Result: "running"}
	b := Run{ID: "b"}
	for _, r := range []Run{a, b} {
		if _, err := s.PutRun(r); err != nil {
			t.Fatal(err)
		}
	}
	a.Result = "ok"
	seq, err := s.PutRun(a)
	if err != nil || seq != 1 {
		t.Fatalf("PutRun(replace a) = %d, %v; want 1, nil", seq, err)
	}
	got := must(s.Runs(0))(t)
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "a" || got[1].Result != "ok" || got[1].Seq != 1 {
		t.Errorf("runs after replace = %+v, want b then a (ok, seq 1)", got)
	}
}

func TestLastRunTime(t *testing.T) {
	s := openStore(t)
	if _, ok, err := s.LastRunTime(); ok || err != nil {
		t.Errorf("LastRunTime on an empty store = _, %v, %v; want false, nil", ok, err)
	}
	fast := t0.Add(48 * time.Hour)
	steps := []struct {
		run  Run
		want time.Time
	}{
		{Run{ID: "1", StartedAt: t0, FinishedAt: t0.Add(time.Minute)}, t0.Add(time.Minute)},
		{Run{ID: "2", StartedAt: fast, FinishedAt: fast.Add(time.Minute)}, fast.Add(time.Minute)},
		{Run{ID: "3", StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(time.Hour)}, fast.Add(time.Minute)}, // never lowered
	}
	for _, st := range steps {
		if _, err := s.PutRun(st.run); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.LastRunTime()
		if err != nil || !ok || !got.Equal(st.want) {
			t.Errorf("after run %s: LastRunTime = %v, %v, %v; want %v", st.run.ID, got, ok, err, st.want)
		}
	}
	prev, err := s.AcceptClock(t0.Add(2 * time.Hour))
	if err != nil || !prev.Equal(fast.Add(time.Minute)) {
		t.Errorf("AcceptClock = %v, %v; want previous %v", prev, err, fast.Add(time.Minute))
	}
	if got, _, _ := s.LastRunTime(); !got.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("LastRunTime after AcceptClock = %v, want %v", got, t0.Add(2*time.Hour))
	}
}

func TestAdvanceRunSeq(t *testing.T) {
	s := openStore(t)
	if err := s.AdvanceRunSeq(41); err != nil {
		t.Fatal(err)
	}
	if seq, err := s.PutRun(Run{ID: "a"}); err != nil || seq != 42 {
		t.Errorf("PutRun after AdvanceRunSeq(41) = %d, %v; want 42", seq, err)
	}
	if err := s.AdvanceRunSeq(7); err != nil { // never backwards
		t.Fatal(err)
	}
	if seq, err := s.PutRun(Run{ID: "b"}); err != nil || seq != 43 {
		t.Errorf("PutRun after AdvanceRunSeq(7) = %d, %v; want 43", seq, err)
	}
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

// TestAcceptClockSurvivesReopen: the migration on open must not raise an
// accepted baseline back to the time of an old run.
func TestAcceptClockSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStoreIn(t, dir)
	if err := putRun(s, Run{ID: "fast", StartedAt: t0.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptClock(t0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStoreIn(t, dir)
	if got, _, _ := s.LastRunTime(); !got.Equal(t0) {
		t.Errorf("LastRunTime after reopen = %v, want the accepted %v", got, t0)
	}
}
