package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStoredRunTrend: a stored run shows the trend it was written with, the runs before it, never
// the runs written after it; the stored HTML and Markdown draw it as the written files do.
func TestStoredRunTrend(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var runs []*Run
	for seq := uint64(1); seq <= 6; seq++ {
		r := trendRun(t, seq, base.Add(time.Duration(seq)*time.Hour), 10+int(seq), int(seq))
		if _, err := WriteWith(dir, r, []string{FormatJSON, FormatHTML, FormatMarkdown}, Options{TrendRuns: 3}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	shown, err := Load(dir, runs[3].RunID) // seq 4, with seq 5 and 6 after it
	if err != nil {
		t.Fatal(err)
	}
	points, err := Trend(dir, shown, 3)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, p := range points {
		seqs = append(seqs, p.Seq)
	}
	if want := []uint64{2, 3, 4}; !slices.Equal(seqs, want) {
		t.Fatalf("trend of stored seq 4 = %v, want %v", seqs, want)
	}

	var html bytes.Buffer
	if err := WriteStoredHTML(&html, dir, shown, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="trend"`, `id="trend-inventory"`, `id="trend-savings"`, `last 3 runs`, runs[1].RunID + ": "} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("stored HTML has no %q", want)
		}
	}
	for _, later := range runs[4:] {
		if strings.Contains(html.String(), later.RunID) {
			t.Errorf("stored HTML of seq 4 names the later run %s", later.RunID)
		}
	}
	var md bytes.Buffer
	if err := WriteStoredMarkdown(&md, dir, shown, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Trend (last 3 runs)", "| 12 | 2 | 0 |", "| 14 | 4 | 0 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("stored Markdown has no %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "| 15 | 5 |") {
		t.Error("stored Markdown of seq 4 has the later seq 5 in its trend")
	}

	// TrendRuns 0: no trend, as in the written files.
	html.Reset()
	if err := WriteStoredHTML(&html, dir, shown, 0); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html.String(), `id="trend"`) {
		t.Error("a stored trend with TrendRuns 0")
	}
}
