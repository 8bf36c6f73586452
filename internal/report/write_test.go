package report

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWriteAllFormats(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports") // created by Write
	r := sampleRun(t)
	runDir, err := Write(dir, r, Formats)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if want := filepath.Join(dir, r.RunID); runDir != want {
		t.Errorf("run dir: got %s, want %s", runDir, want)
	}
	fi, err := os.Stat(runDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got&^0o750 != 0 || got&0o700 != 0o700 {
		t.Errorf("run dir mode: got %o, want 750 (less what the umask removes)", got)
	}
	want := []string{"report.csv", "report.html", "report.json", "report.md"}
	if got := dirNames(t, runDir); !slices.Equal(got, want) {
		t.Errorf("files: got %v, want %v (no temporary files left)", got, want)
	}
	for _, name := range want {
		fi, err := os.Stat(filepath.Join(runDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() == 0 || fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: size %d mode %o, want non-empty 640", name, fi.Size(), fi.Mode().Perm())
		}
	}
	loaded, err := Load(dir, r.RunID)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if loaded.RunID != r.RunID || len(loaded.Instances) != len(r.Instances) {
		t.Errorf("loaded run: got %s with %d instances, want %s with %d", loaded.RunID, len(loaded.Instances), r.RunID, len(r.Instances))
	}
}

func TestWriteNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	r := sampleRun(t)
	if _, err := Write(dir, r, []string{FormatJSON}); err != nil {
		t.Fatalf("first Write: %v", err)
	}
	before, err := os.ReadFile(filepath.Join(dir, r.RunID, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	r.Instances = nil
	r.Finalize(nil)
	_, err = Write(dir, r, []string{FormatJSON, FormatMarkdown})
	if !errors.Is(err, ErrRunExists) {
		t.Fatalf("second Write: got %v, want ErrRunExists", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, r.RunID, "report.json"))
	if string(before) != string(after) {
		t.Errorf("report.json changed by a refused Write")
	}
	if got := dirNames(t, filepath.Join(dir, r.RunID)); !slices.Equal(got, []string{"report.json"}) {
		t.Errorf("files after refused Write: got %v, want [report.json]", got)
	}
}

func TestWriteRefusesBeforeCreatingAnything(t *testing.T) {
	tests := []struct {
		name    string
		runID   string
		formats []string
		want    string
	}{
		{"unknown format", "r1", []string{"json", "pdf"}, `unknown format "pdf"`},
		{"no formats", "r1", nil, "no formats"},
		{"path traversal", "../escape", []string{"json"}, "invalid run id"},
		{"separator", "a/b", []string{"json"}, "invalid run id"},
		{"hidden", ".r1", []string{"json"}, "invalid run id"},
		{"empty", "", []string{"json"}, "invalid run id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "reports")
			r := sampleRun(t)
			r.RunID = tt.runID
			_, err := Write(dir, r, tt.formats)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write: got %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("report dir: got %v, want nothing created", err)
			}
		})
	}
}

func TestWriteDeduplicatesFormats(t *testing.T) {
	dir := t.TempDir()
	r := sampleRun(t)
	runDir, err := Write(dir, r, []string{"md", "json", "md"})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got := dirNames(t, runDir); !slices.Equal(got, []string{"report.json", "report.md"}) {
		t.Errorf("files: got %v", got)
	}
}

func TestValidRunID(t *testing.T) {
	for id, want := range map[string]bool{
		"20261126T080000Z-3f9a1c": true, NewRunID(t0): true, "r1": true, "a.b_c-d": true,
		"": false, ".": false, "..": false, "-x": false, "a/b": false, `a\b`: false, "a b": false,
		strings.Repeat("a", 129): false, "ü": false,
	} {
		if got := ValidRunID(id); got != want {
			t.Errorf("ValidRunID(%q): got %v, want %v", id, got, want)
		}
	}
}

func TestNewRunID(t *testing.T) {
	a, b := NewRunID(t0), NewRunID(t0)
	if a == b {
		t.Errorf("two run IDs for the same second are equal: %s", a)
	}
	if !strings.HasPrefix(a, "20261126T080000Z-") || len(a) != len("20261126T080000Z-")+6 {
		t.Errorf("run id: got %s, want 20261126T080000Z- and 6 hex digits", a)
	}
}
