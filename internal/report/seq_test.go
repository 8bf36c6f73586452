package report

import (
	"slices"
	"testing"
	"time"
)

// clockJumpRuns writes, in this order: two reports from before run sequence numbers, a run with
// seq 1, a run made with a clock four years ahead (seq 2), and two real runs after the clock was
// fixed (seq 3 and 4). It returns the report dir and the run IDs newest first by sequence.
func clockJumpRuns(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	runs := []struct {
		start time.Time
		seq   uint64
	}{
		{t0.Add(-2 * time.Hour), 0},
		{t0.Add(-time.Hour), 0},
		{t0, 1},
		{t0.AddDate(4, 0, 0), 2},
		{t0.Add(time.Hour), 3},
		{t0.Add(2 * time.Hour), 4},
	}
	var ids []string
	for _, x := range runs {
		r := sampleRun(t)
		r.StartedAt, r.FinishedAt, r.Seq = x.start, x.start.Add(time.Minute), x.seq
		r.RunID = x.start.Format("20060102T150405Z") + "-abcdef"
		if _, err := Write(dir, r, []string{FormatJSON}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.RunID)
	}
	slices.Reverse(ids)
	return dir, ids
}

// TestReportsFollowTheRunSequence: list, latest and retention follow the sequence the state store
// gave each run, not the run IDs or start times; reports written before sequence numbers are older
// than every sequenced one, in time order among themselves.
func TestReportsFollowTheRunSequence(t *testing.T) {
	dir, want := clockJumpRuns(t)

	entries, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.RunID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List order:\n got %v\nwant %v", got, want)
	}
	if entries[0].Seq != 4 {
		t.Errorf("newest entry seq = %d, want 4", entries[0].Seq)
	}

	r, err := Load(dir, Latest)
	if err != nil || r.RunID != want[0] {
		t.Errorf("Load(latest) = %v, %v; want %s (not the future-dated run)", r.RunID, err, want[0])
	}

	removed, err := Prune(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(removed) // newest first, like want
	if !slices.Equal(removed, want[2:]) {
		t.Errorf("Prune(2) removed %v, want %v (the oldest by sequence)", removed, want[2:])
	}
	if max, err := MaxSeq(dir); err != nil || max != 4 {
		t.Errorf("MaxSeq = %d, %v; want 4", max, err)
	}
}
