package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is returned by Load when no run matches.
var ErrNotFound = errors.New("report not found")

// ErrAmbiguous is returned by Load when a run ID prefix matches more than one run.
var ErrAmbiguous = errors.New("run id prefix is ambiguous")

// Latest is the run ID Load understands as "the newest run".
const Latest = "latest"

// Entry is one past run, as List shows it.
type Entry struct {
	RunID         string         `json:"run_id"`
	Seq           uint64         `json:"seq"` // 0 for a report written before run sequence numbers
	StartedAt     time.Time      `json:"started_at"`
	FinishedAt    time.Time      `json:"finished_at"`
	Command       string         `json:"command"`
	DryRun        bool           `json:"dry_run"`
	Mode          string         `json:"mode,omitempty"` // empty in a report written before reaper had modes
	Result        string         `json:"result"`
	InventorySize int            `json:"inventory_size"`
	Counts        map[string]int `json:"counts"` // instances by action
	// Problem is set when the run's report.json exists but cannot be read; the other fields but
	// RunID are then empty.
	Problem string `json:"problem,omitempty"`
	// Node is the host that made the run, when a shared state store says (see Merge).
	Node string `json:"node,omitempty"`
	// Remote is true for a run the shared state recorded whose report is not in this directory:
	// reports are files on the node that ran the run.
	Remote bool `json:"remote,omitempty"`
}

// Merge lists the runs a shared state store recorded (shared, from every node) with the reports
// in this directory (local, as List returns them), newest first. A run in both is the local
// entry, with the node the state names; a run only in shared is Remote; a local report the
// state does not know (written with plan --out elsewhere, or older than the store) stays.
func Merge(local, shared []Entry) []Entry {
	byID := make(map[string]int, len(local))
	for i, e := range local {
		byID[e.RunID] = i
	}
	out := make([]Entry, 0, len(local)+len(shared))
	used := make([]bool, len(local))
	for _, s := range shared {
		if i, ok := byID[s.RunID]; ok {
			e := local[i]
			e.Node, used[i] = s.Node, true
			out = append(out, e)
			continue
		}
		s.Remote = true
		out = append(out, s)
	}
	for i, e := range local {
		if !used[i] {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, newestFirst)
	return out
}

// List returns the runs under dir, newest first. A run is a subdirectory with a valid run ID as
// name and a report.json; anything else (temporary files, other directories) is ignored. A run whose
// report.json cannot be parsed is listed with Problem set rather than hidden. A missing dir is an
// empty list.
//
// Newest means the highest sequence number the state store gave the run, never the run ID or the
// start time: a run made while the clock was ahead is not newer than the runs after it. Reports
// written before sequence numbers (seq 0) are older than every sequenced one and ordered by start
// time among themselves.
func List(dir string) ([]Entry, error) {
	names, err := runDirs(dir)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(names))
	for _, name := range names {
		entries = append(entries, readEntry(dir, name))
	}
	slices.SortFunc(entries, newestFirst)
	return entries, nil
}

// newestFirst orders entries by sequence, then start time, then run ID, all descending.
func newestFirst(a, b Entry) int {
	if a.Seq != b.Seq {
		if a.Seq > b.Seq {
			return -1
		}
		return 1
	}
	if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
		return c
	}
	return strings.Compare(b.RunID, a.RunID)
}

// MaxSeq returns the highest run sequence number among the reports under dir (0 when there is
// none). A state store that is newer than its reports (reset, or restored from a backup) starts
// numbering after it, so that its runs sort after the reports already there.
func MaxSeq(dir string) (uint64, error) {
	entries, err := List(dir)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	return entries[0].Seq, nil
}

// runDirs returns the names of the real (not symlinked) subdirectories of dir that are valid run IDs
// and hold a report.json.
func runDirs(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	var names []string
	for _, de := range des {
		if !de.IsDir() || !ValidRunID(de.Name()) {
			continue
		}
		if jsonFile(filepath.Join(dir, de.Name())) != "" {
			names = append(names, de.Name())
		}
	}
	return names, nil
}

// entryDoc is the part of report.json that List reads; the instances are skipped.
type entryDoc struct {
	SchemaVersion int       `json:"schema_version"`
	RunID         string    `json:"run_id"`
	Seq           uint64    `json:"seq"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	Command       string    `json:"command"`
	DryRun        bool      `json:"dry_run"`
	Mode          string    `json:"mode"`
	Result        string    `json:"result"`
	InventorySize int       `json:"inventory_size"`
	Summary       struct {
		ByAction map[string]int `json:"by_action"`
	} `json:"summary"`
}

// ModeLabel is the run's mode as the reports name it, "mark", "enforce", ..., or for a report
// written before reaper had modes "dry-run" or "acting". It is one word: the command (a plan
// writes nothing in any mode) is the entry's Command.
func (e Entry) ModeLabel() string {
	return modeLabel(&Run{Mode: e.Mode, DryRun: e.DryRun})
}

func readEntry(dir, name string) Entry {
	e := Entry{RunID: name}
	f, err := openJSON(filepath.Join(dir, name))
	if err != nil {
		e.Problem = err.Error()
		return e
	}
	defer f.Close()
	var d entryDoc
	switch err := readHeader(f, &d); {
	case err != nil:
		e.Problem = "report.json: " + err.Error()
		return e
	case d.SchemaVersion < 1 || d.SchemaVersion > SchemaVersion:
		e.Problem = fmt.Sprintf("report.json: unsupported schema_version %d", d.SchemaVersion)
		return e
	case d.RunID != name:
		e.Problem = fmt.Sprintf("report.json: run_id %q does not match the directory", d.RunID)
		return e
	}
	return Entry{
		RunID: name, Seq: d.Seq, StartedAt: d.StartedAt, FinishedAt: d.FinishedAt, Command: d.Command, DryRun: d.DryRun,
		Mode: d.Mode, Result: d.Result, InventorySize: d.InventorySize, Counts: nonNilMap(d.Summary.ByAction),
	}
}

// readHeader decodes the fields of report.json before its instances array into d, without reading
// the instances: List (run at every start and by retention after every cycle) reads the header of
// every report, and a report of a large fleet is tens of megabytes. reaper writes the instances
// last; a document without them is decoded whole.
func readHeader(r io.Reader, d any) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 16<<10))
	if tok, err := dec.Token(); err != nil {
		return err
	} else if tok != json.Delim('{') {
		return fmt.Errorf("not a JSON object")
	}
	header := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if key == "instances" {
			break
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		header[key] = v
	}
	b, err := json.Marshal(header)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, d)
}

// Load reads the report.json of one run under dir. runID is a full run ID, a prefix that matches
// exactly one run, or Latest for the newest readable run. It returns an error wrapping ErrNotFound
// or ErrAmbiguous when the ID does not pick exactly one run.
func Load(dir, runID string) (*Run, error) {
	name, err := resolve(dir, runID)
	if err != nil {
		return nil, err
	}
	f, err := openJSON(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("load report %s: %w", name, err)
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("load report %s: %w", name, err)
	}
	return r, nil
}

func resolve(dir, runID string) (string, error) {
	if runID == Latest {
		entries, err := List(dir)
		if err != nil {
			return "", err
		}
		for _, e := range entries {
			if e.Problem == "" {
				return e.RunID, nil
			}
		}
		return "", fmt.Errorf("load latest report in %s: %w", dir, ErrNotFound)
	}
	if !ValidRunID(runID) {
		return "", fmt.Errorf("load report: invalid run id %q", runID)
	}
	names, err := runDirs(dir)
	if err != nil {
		return "", err
	}
	if slices.Contains(names, runID) {
		return runID, nil
	}
	var matches []string
	for _, n := range names {
		if strings.HasPrefix(n, runID) {
			matches = append(matches, n)
		}
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("load report %s: %w", runID, ErrNotFound)
	case 1:
		return matches[0], nil
	}
	slices.Sort(matches)
	return "", fmt.Errorf("load report %s: %w: matches %s", runID, ErrAmbiguous, strings.Join(matches, ", "))
}

// Prune removes all but the newest keep runs under dir and returns the run IDs it removed, oldest
// first. keep 0 keeps everything. Only run directories whose report.json is readable and names the
// directory's run ID are candidates; anything else under dir is never touched.
func Prune(dir string, keep int) ([]string, error) {
	if keep < 0 {
		return nil, fmt.Errorf("prune reports: keep must not be negative, got %d", keep)
	}
	if keep == 0 {
		return nil, nil
	}
	entries, err := List(dir)
	if err != nil {
		return nil, err
	}
	var runs []Entry
	for _, e := range entries {
		if e.Problem == "" {
			runs = append(runs, e)
		}
	}
	if len(runs) <= keep {
		return nil, nil
	}
	var removed []string
	for i := len(runs) - 1; i >= keep; i-- {
		if err := os.RemoveAll(filepath.Join(dir, runs[i].RunID)); err != nil {
			return removed, fmt.Errorf("prune report %s: %w", runs[i].RunID, err)
		}
		removed = append(removed, runs[i].RunID)
	}
	return removed, nil
}
