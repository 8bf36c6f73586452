package report

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// fleetOfRuns writes runs started one hour apart (the last is newest) plus junk that List, Load and
// Prune must ignore, and returns the report dir and the run IDs oldest first.
func fleetOfRuns(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var ids []string
	for i := range n {
		r := sampleRun(t)
		r.StartedAt = t0.Add(time.Duration(i) * time.Hour)
		r.FinishedAt = r.StartedAt.Add(time.Minute)
		r.RunID = r.StartedAt.Format("20060102T150405Z") + "-aaaaaa"
		r.DryRun = i%2 == 0
		if _, err := Write(dir, r, []string{FormatJSON, FormatHTML}); err != nil {
			t.Fatalf("Write: %v", err)
		}
		ids = append(ids, r.RunID)
	}
	mustMkdir(t, filepath.Join(dir, "lost+found"))              // no report.json
	mustMkdir(t, filepath.Join(dir, ".20261126T000000Z-tmp"))   // not a run ID
	mustWrite(t, filepath.Join(dir, "notes.txt"), "keep me")    // a file
	mustMkdir(t, filepath.Join(dir, "20200101T000000Z-broken")) // unreadable report
	mustWrite(t, filepath.Join(dir, "20200101T000000Z-broken", "report.json"), "{not json")
	if err := os.Symlink(filepath.Join(dir, ids[0]), filepath.Join(dir, "20990101T000000Z-link")); err != nil {
		t.Fatal(err)
	}
	return dir, ids
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.Mkdir(p, 0o750); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestList(t *testing.T) {
	dir, ids := fleetOfRuns(t, 3)
	entries, err := List(dir)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.RunID)
	}
	want := []string{ids[2], ids[1], ids[0], "20200101T000000Z-broken"}
	if !slices.Equal(got, want) {
		t.Fatalf("List order: got %v, want %v", got, want)
	}
	newest := entries[0]
	if newest.Command != reconcile.CommandRun || !newest.DryRun || newest.InventorySize != 14 || newest.Counts[ActionTerminated] != 2 || newest.Result != ResultFailed {
		t.Errorf("newest entry: got %+v", newest)
	}
	if !newest.StartedAt.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("newest started at: got %v", newest.StartedAt)
	}
	if broken := entries[3]; broken.Problem == "" || !strings.Contains(broken.Problem, "report.json") {
		t.Errorf("broken entry problem: got %q, want a report.json error", broken.Problem)
	}

	if entries, err := List(filepath.Join(dir, "missing")); err != nil || len(entries) != 0 {
		t.Errorf("List of a missing dir: got %v, %v; want empty, nil", entries, err)
	}
}

func TestLoad(t *testing.T) {
	dir, ids := fleetOfRuns(t, 3)
	tests := []struct {
		name, id, want string
		err            error
	}{
		{name: "full id", id: ids[1], want: ids[1]},
		{name: "latest", id: Latest, want: ids[2]},
		{name: "unique prefix", id: "20261126T09", want: ids[1]},
		{name: "ambiguous prefix", id: "20261126T", err: ErrAmbiguous},
		{name: "unknown", id: "19990101", err: ErrNotFound},
		{name: "not a run dir", id: "lost+found", err: nil, want: "error"},
		{name: "traversal", id: "../etc", want: "error"},
		{name: "symlinked run", id: "20990101T000000Z-link", err: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Load(dir, tt.id)
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Errorf("Load(%q): got %v, want %v", tt.id, err, tt.err)
				}
			case tt.want == "error":
				if err == nil {
					t.Errorf("Load(%q): got run %s, want an error", tt.id, r.RunID)
				}
			case err != nil:
				t.Errorf("Load(%q): %v", tt.id, err)
			case r.RunID != tt.want:
				t.Errorf("Load(%q): got %s, want %s", tt.id, r.RunID, tt.want)
			}
		})
	}
	if _, err := Load(t.TempDir(), Latest); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load latest of an empty dir: got %v, want ErrNotFound", err)
	}
}

func TestPrune(t *testing.T) {
	dir, ids := fleetOfRuns(t, 4)
	removed, err := Prune(dir, 2)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if want := []string{ids[0], ids[1]}; !slices.Equal(removed, want) {
		t.Errorf("removed: got %v, want %v", removed, want)
	}
	got := dirNames(t, dir)
	want := []string{".20261126T000000Z-tmp", "20200101T000000Z-broken", ids[2], ids[3], "20990101T000000Z-link", "lost+found", "notes.txt"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("left after Prune:\n got %v\nwant %v", got, want)
	}

	for _, keep := range []int{0, 2, 5} {
		removed, err := Prune(dir, keep)
		if err != nil || len(removed) != 0 {
			t.Errorf("Prune(keep=%d) of 2 runs: got %v, %v; want nothing removed", keep, removed, err)
		}
	}
	if _, err := Prune(dir, -1); err == nil {
		t.Errorf("Prune(keep=-1): got nil error")
	}
}

func TestEntryOpenCandidates(t *testing.T) {
	e := Entry{Counts: map[string]int{
		ActionWouldTerminate: 1, ActionMarked: 2, ActionBlocked: 4, ActionFailed: 8, ActionUnconfirmed: 16,
		ActionTerminated: 100, ActionSkipped: 100, ActionProtected: 100, ActionExempt: 100, ActionKept: 100, "unknown": 100,
	}}
	if got := e.OpenCandidates(); got != 31 {
		t.Errorf("OpenCandidates = %d, want 31 (would_terminate, marked, blocked, failed, unconfirmed)", got)
	}
}

func TestMerge(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	local := []Entry{
		{RunID: "20261126T083000Z-b", Seq: 2, StartedAt: at, Result: "ok", Counts: map[string]int{"kept": 3}},
		{RunID: "20261120T080000Z-old", StartedAt: at.AddDate(0, 0, -6)}, // before sequence numbers
	}
	shared := []Entry{
		{RunID: "20261126T090000Z-c", Seq: 3, StartedAt: at, Node: "bastion-b", Result: "ok"},
		{RunID: "20261126T083000Z-b", Seq: 2, StartedAt: at, Node: "bastion-a", Result: "ok"},
		{RunID: "20261126T080000Z-a", Seq: 1, StartedAt: at, Node: "bastion-b", Result: "failed"},
	}
	got := Merge(local, shared)
	want := []Entry{
		{RunID: "20261126T090000Z-c", Seq: 3, StartedAt: at, Node: "bastion-b", Result: "ok", Remote: true},
		{RunID: "20261126T083000Z-b", Seq: 2, StartedAt: at, Node: "bastion-a", Result: "ok", Counts: map[string]int{"kept": 3}},
		{RunID: "20261126T080000Z-a", Seq: 1, StartedAt: at, Node: "bastion-b", Result: "failed", Remote: true},
		{RunID: "20261120T080000Z-old", StartedAt: at.AddDate(0, 0, -6)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge mismatch (-want +got):\n%s", diff)
	}
}
