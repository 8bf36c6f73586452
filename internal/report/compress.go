package report

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// gzipSuffix is added to the name of a compressed report file: report.json.gz, report.csv.gz.
const gzipSuffix = ".gz"

// compressible says which formats report.compress gzips: the ones that keep every instance.
func compressible(format string) bool { return format == FormatJSON || format == FormatCSV }

// jsonFile returns the path of the run's report.json, or of report.json.gz when only that exists,
// or "" when neither is a regular file (symlinks are not followed).
func jsonFile(runDir string) string { return dataFile(runDir, FormatJSON) }

// storedDataFiles names the run's CSV and JSON files that exist in runDir, each plain or
// compressed as it was written: what the HTML page of a stored run links.
func storedDataFiles(runDir string) []string {
	var out []string
	for _, f := range []string{FormatCSV, FormatJSON} {
		if path := dataFile(runDir, f); path != "" {
			out = append(out, filepath.Base(path))
		}
	}
	return out
}

// dataFile returns the path of the run's file of a format (report.json), or of its compressed
// form (report.json.gz) when only that exists, or "" when neither is a regular file (symlinks are
// not followed).
func dataFile(runDir, format string) string {
	for _, name := range []string{FileName(format), FileName(format) + gzipSuffix} {
		path := filepath.Join(runDir, name)
		if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
			return path
		}
	}
	return ""
}

// openJSON opens the run's report.json, or report.json.gz decompressed.
func openJSON(runDir string) (io.ReadCloser, error) {
	path := jsonFile(runDir)
	if path == "" {
		return nil, fmt.Errorf("open %s: %w", filepath.Join(runDir, FileName(FormatJSON)), os.ErrNotExist)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if filepath.Ext(path) != gzipSuffix {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return gzipFile{zr, f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g gzipFile) Close() error { return errors.Join(g.Reader.Close(), g.f.Close()) }

// readRunHeader decodes the header of a run's report.json (before its instances) into d.
func readRunHeader(dir, name string, d any) error {
	f, err := openJSON(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	return readHeader(f, d)
}

// gzipped wraps a renderer so that it writes gzip.
func gzipped(render func(io.Writer, *Run) error) func(io.Writer, *Run) error {
	return func(w io.Writer, r *Run) error {
		zw := gzip.NewWriter(w)
		if err := render(zw, r); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		return nil
	}
}
