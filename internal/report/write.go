package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// The report formats, as named in the config's report.formats.
const (
	FormatJSON     = "json"
	FormatCSV      = "csv"
	FormatMarkdown = "md"
	FormatHTML     = "html"
)

// Formats lists every format Write knows.
var Formats = []string{FormatJSON, FormatCSV, FormatMarkdown, FormatHTML}

// ErrRunExists is returned by Write when the run's directory already exists: reports are never
// overwritten.
var ErrRunExists = errors.New("report directory already exists")

var renderers = map[string]func(io.Writer, *Run) error{
	FormatJSON:     WriteJSON,
	FormatCSV:      WriteCSV,
	FormatMarkdown: WriteMarkdown,
	FormatHTML:     WriteHTML,
}

// FileName returns the file a format is written to, for example "report.md".
func FileName(format string) string { return "report." + format }

// Write creates <dir>/<run-id>/ (mode 0750; dir itself is created if missing) and writes one
// report.<format> per format, each through a temporary file and a rename, so a reader never sees a
// half-written file. report.json, which List, Load and Prune read, is written last. Write never
// overwrites: if the run directory exists it returns an error wrapping ErrRunExists. An unknown
// format or an invalid run ID is an error before anything is created. It returns the run directory.
func Write(dir string, r *Run, formats []string) (string, error) {
	return WriteWith(dir, r, formats, Options{})
}

// Options are the report settings beyond the formats (config report.*).
type Options struct {
	// Compress gzips report.json and report.csv into report.json.gz and report.csv.gz.
	Compress bool
	// TrendRuns is how many runs, this one included, the trend of the HTML and Markdown reports
	// covers; 0 draws none. The past runs are read from dir (see Trend).
	TrendRuns int
}

// WriteWith is Write with options. A trend that cannot be read (the directory is unreadable) costs
// the trend, never the report.
func WriteWith(dir string, r *Run, formats []string, o Options) (string, error) {
	if !ValidRunID(r.RunID) {
		return "", fmt.Errorf("write report: invalid run id %q", r.RunID)
	}
	order, err := writeOrder(formats)
	if err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	runDir := filepath.Join(dir, r.RunID)
	if err := os.Mkdir(runDir, 0o750); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("write report %s: %w", r.RunID, ErrRunExists)
		}
		return "", fmt.Errorf("write report: %w", err)
	}
	x := pageExtras{TrendRuns: o.TrendRuns}
	x.Trend, _ = Trend(dir, r, o.TrendRuns)
	for _, f := range []string{FormatCSV, FormatJSON} {
		if slices.Contains(order, f) {
			x.DataFiles = append(x.DataFiles, dataFileName(f, o))
		}
	}
	for _, f := range order {
		render := renderers[f]
		switch f {
		case FormatHTML:
			render = func(w io.Writer, r *Run) error { return writeHTML(w, r, x) }
		case FormatMarkdown:
			render = func(w io.Writer, r *Run) error { return writeMarkdown(w, r, x) }
		}
		if o.Compress && compressible(f) {
			render = gzipped(render)
		}
		if err := writeFile(runDir, dataFileName(f, o), r, render); err != nil {
			return runDir, fmt.Errorf("write report %s: %w", r.RunID, err)
		}
	}
	if err := syncDir(runDir); err != nil {
		return runDir, fmt.Errorf("write report %s: %w", r.RunID, err)
	}
	return runDir, nil
}

// dataFileName is the file a format is written to under o: report.json, or report.json.gz when
// compressed.
func dataFileName(format string, o Options) string {
	if o.Compress && compressible(format) {
		return FileName(format) + gzipSuffix
	}
	return FileName(format)
}

// writeOrder checks and de-duplicates formats and moves json to the end.
func writeOrder(formats []string) ([]string, error) {
	if len(formats) == 0 {
		return nil, errors.New("write report: no formats")
	}
	var order []string
	for _, f := range formats {
		if _, ok := renderers[f]; !ok {
			return nil, fmt.Errorf("write report: unknown format %q (known: json, csv, md, html)", f)
		}
		if !slices.Contains(order, f) {
			order = append(order, f)
		}
	}
	if i := slices.Index(order, FormatJSON); i >= 0 {
		order = append(slices.Delete(order, i, i+1), FormatJSON)
	}
	return order, nil
}

// writeFile renders straight into a temporary file in runDir (a 100,000-instance report is
// never held in memory whole), syncs it and renames it.
func writeFile(runDir, name string, r *Run, render func(io.Writer, *Run) error) (err error) {
	tmp, err := os.CreateTemp(runDir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o640); err != nil {
		return fmt.Errorf("chmod %s: %w", name, err)
	}
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := render(bw, r); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(runDir, name)); err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
