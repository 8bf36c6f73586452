package report

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// TestWriteCompressed: with Compress, JSON and CSV are written gzipped (and only so), hold what
// the plain forms hold, and List, Load and Prune read them next to plain runs.
func TestWriteCompressed(t *testing.T) {
	dir := t.TempDir()
	plain := sampleRun(t)
	plain.RunID, plain.Seq = "20261126T070000Z-aaaaaa", 1
	if _, err := Write(dir, plain, Formats); err != nil {
		t.Fatal(err)
	}
	r := sampleRun(t)
	r.Seq = 2
	runDir, err := WriteWith(dir, r, Formats, Options{Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, runDir), []string{"report.csv.gz", "report.html", "report.json.gz", "report.md"}; !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	var csv, js bytes.Buffer
	if err := WriteCSV(&csv, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if got := gunzipFile(t, filepath.Join(runDir, "report.csv.gz")); !bytes.Equal(got, csv.Bytes()) {
		t.Error("report.csv.gz does not hold the CSV")
	}
	if got := gunzipFile(t, filepath.Join(runDir, "report.json.gz")); !bytes.Equal(got, js.Bytes()) {
		t.Error("report.json.gz does not hold the JSON")
	}

	entries, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].RunID != r.RunID || entries[0].Problem != "" || entries[1].RunID != plain.RunID {
		t.Fatalf("List = %+v, want the compressed run then the plain one", entries)
	}
	if entries[0].InventorySize != r.InventorySize || entries[0].Counts[ActionTerminated] != r.Summary.ByAction[ActionTerminated] {
		t.Errorf("List read %+v from report.json.gz", entries[0])
	}
	for _, id := range []string{Latest, r.RunID, r.RunID[:12]} {
		got, err := Load(dir, id)
		if err != nil {
			t.Fatalf("Load(%s): %v", id, err)
		}
		if got.RunID != r.RunID || len(got.Instances) != len(r.Instances) {
			t.Errorf("Load(%s) = run %s with %d instances", id, got.RunID, len(got.Instances))
		}
	}
	if removed, err := Prune(dir, 1); err != nil || !slices.Equal(removed, []string{plain.RunID}) {
		t.Errorf("Prune(1) = %v, %v; want the plain run removed", removed, err)
	}
	html, err := os.ReadFile(filepath.Join(runDir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte(`href="report.json"`)) || bytes.Contains(html, []byte(`href="report.csv"`)) {
		t.Error("the HTML links to a file compress did not write")
	}
}

// TestCorruptCompressedReport: a damaged report.json.gz is listed with a problem and fails Load
// with an error naming it; it never stops the other runs.
func TestCorruptCompressedReport(t *testing.T) {
	dir := t.TempDir()
	r := sampleRun(t)
	if _, err := Write(dir, r, []string{FormatJSON}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "20261126T090000Z-bbbbbb")
	if err := os.Mkdir(bad, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "report.json.gz"), []byte("not gzip"), 0o640); err != nil {
		t.Fatal(err)
	}
	entries, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var problems int
	for _, e := range entries {
		if e.Problem != "" {
			problems++
			if e.RunID != filepath.Base(bad) || !strings.Contains(e.Problem, "report.json.gz") {
				t.Errorf("problem %q for %s", e.Problem, e.RunID)
			}
		}
	}
	if len(entries) != 2 || problems != 1 {
		t.Errorf("List = %+v, want both runs, one with a problem", entries)
	}
	if _, err := Load(dir, filepath.Base(bad)); err == nil || !strings.Contains(err.Error(), "report.json.gz") {
		t.Errorf("Load of the damaged run: %v", err)
	}
	if got, err := Load(dir, Latest); err != nil || got.RunID != r.RunID {
		t.Errorf("Load(latest) = %v, %v; want the readable run", got, err)
	}
}

// writeWithMoney writes r's report.json with the top-level money fields of README, Cost and savings set to the
// raw JSON values given (as the cost stream writes them, or as a damaged file has them).
func writeWithMoney(t *testing.T, dir string, r *Run, cumulative, currency string) {
	t.Helper()
	runDir, err := Write(dir, r, []string{FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(runDir, "report.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ field, value string }{{"cumulative_realized_savings", cumulative}, {"currency", currency}} {
		re := regexp.MustCompile(`\n  "` + f.field + `": [^\n]*?(,?)\n`)
		loc := re.FindSubmatchIndex(b)
		if loc == nil {
			t.Fatalf("report.json has no top-level %s", f.field)
		}
		line := "\n  \"" + f.field + "\": " + f.value + string(b[loc[2]:loc[3]]) + "\n"
		b = append(b[:loc[0]:loc[0]], append([]byte(line), b[loc[1]:]...)...)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// trendRun is a small finalized run with seq, started at start, n instances of which cand are
// would_terminate.
func trendRun(t *testing.T, seq uint64, start time.Time, n, cand int) *Run {
	t.Helper()
	r := &Run{RunID: start.Format("20060102T150405Z") + "-" + fmt.Sprintf("%06x", seq), Seq: seq, Command: "plan",
		StartedAt: start, FinishedAt: start.Add(time.Second), DryRun: true, Result: ResultOK}
	for i := range n {
		in := Instance{ID: fmt.Sprintf("%d", 1000+i), Name: fmt.Sprintf("w-%d", i), Zone: "HKG-A", Type: "S9I", Action: ActionKept}
		if i < cand {
			in.Action, in.Reasons = ActionWouldTerminate, reasons("reaper.idle", "idle")
		}
		r.Instances = append(r.Instances, in)
	}
	r.InventorySize = n
	r.Finalize(nil)
	return r
}

// TestTrend: the trend takes the newest runs by sequence (not by time), oldest first, ends with
// the run being written, reads the money fields where they are sane and shows hostile ones as
// missing, and the HTML and Markdown reports render it.
func TestTrend(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// seq 1..5; seq 4 was made while the clock was a year ahead: still older than seq 5.
	writeWithMoney(t, dir, trendRun(t, 1, base, 10, 1), `1.5`, `"EUR"`) // a plain number reads too
	writeWithMoney(t, dir, trendRun(t, 2, base.Add(time.Hour), 11, 2), `"lots"`, `42`)
	writeWithMoney(t, dir, trendRun(t, 3, base.Add(2*time.Hour), 12, 3), `1e300`, `"<script>alert(1)</script>"`)
	writeWithMoney(t, dir, trendRun(t, 4, base.Add(365*24*time.Hour), 13, 4), `{"total":120.250000,"by_policy":{"reaper.idle":120.25},"by_month":{}}`, `"EUR"`)
	writeWithMoney(t, dir, trendRun(t, 5, base.Add(4*time.Hour), 14, 5), `{"total":"x"}`, `"EUR"`)
	if _, err := Write(dir, trendRun(t, 6, base.Add(5*time.Hour), 15, 6), []string{FormatJSON}); err != nil {
		t.Fatal(err)
	}
	cur := trendRun(t, 7, base.Add(6*time.Hour), 16, 7)
	points, err := Trend(dir, cur, 5)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, p := range points {
		seqs = append(seqs, p.Seq)
	}
	if want := []uint64{3, 4, 5, 6, 7}; !slices.Equal(seqs, want) {
		t.Fatalf("trend seqs %v, want %v", seqs, want)
	}
	if p := points[1]; p.Inventory != 13 || p.Candidates != 4 || p.Savings == nil || *p.Savings != 120.25 || p.Currency != "EUR" {
		t.Errorf("point seq 4 = %+v", p)
	}
	for _, i := range []int{0, 2, 3, 4} {
		if points[i].Savings != nil {
			t.Errorf("point seq %d has savings %v; want none (hostile or missing)", points[i].Seq, *points[i].Savings)
		}
	}

	runDir, err := WriteWith(dir, cur, []string{FormatHTML, FormatMarkdown, FormatJSON}, Options{TrendRuns: 5})
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(runDir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(html)
	for _, want := range []string{`id="trend"`, `id="trend-inventory"`, `id="trend-candidates"`, `id="trend-terminated"`, `id="trend-savings"`,
		`last 5 runs`, `<title>` + cur.RunID + `: 16</title>`, `120.25`} {
		if !strings.Contains(doc, want) {
			t.Errorf("HTML has no %q", want)
		}
	}
	if n := strings.Count(doc, `class="chart-line"`); n < 3 {
		t.Errorf("%d chart lines, want one per count series at least", n)
	}
	if strings.Contains(doc, "<script>alert") {
		t.Error("a hostile currency reached the HTML unescaped")
	}
	checkEscaped(t, "<script>alert(1)</script>")
	md, err := os.ReadFile(filepath.Join(runDir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Trend (last 5 runs)", "| 13 | 4 | 0 | 120.25 EUR |", "| 16 | 7 | 0 | no cost data |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("Markdown has no %q:\n%s", want, md)
		}
	}

	// No run with cost data: the savings chart says so instead of drawing.
	empty := t.TempDir()
	runDir, err = WriteWith(empty, trendRun(t, 1, base, 3, 1), []string{FormatHTML, FormatJSON}, Options{TrendRuns: 30})
	if err != nil {
		t.Fatal(err)
	}
	html, _ = os.ReadFile(filepath.Join(runDir, "report.html"))
	if !strings.Contains(string(html), `<p class="muted chart-empty">no cost data</p>`) {
		t.Error("no \"no cost data\" for a trend without money")
	}
	// TrendRuns 0: no trend.
	runDir, err = WriteWith(empty, trendRun(t, 2, base.Add(time.Hour), 3, 1), []string{FormatHTML, FormatJSON}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	html, _ = os.ReadFile(filepath.Join(runDir, "report.html"))
	if strings.Contains(string(html), `id="trend"`) {
		t.Error("a trend with TrendRuns 0")
	}
}

// TestTrendUnreadableDirectory: a report directory the trend cannot read is an error from Trend,
// and costs WriteWith only the trend.
func TestTrendUnreadableDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Trend(path, sampleRun(t), 3); err == nil {
		t.Error("Trend over a file: no error")
	}
	if _, err := Trend(path, sampleRun(t), 0); err != nil {
		t.Errorf("Trend with n 0: %v", err)
	}
}
