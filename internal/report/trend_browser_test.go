package report

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// trendReport writes three past runs (one with cost data) and a current one with a trend into a
// temporary directory and returns the current run's report.html.
func trendReport(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	writeWithMoney(t, dir, trendRun(t, 1, base, 10, 2), `10`, `"USD"`)
	writeWithMoney(t, dir, trendRun(t, 2, base.Add(time.Hour), 12, 3), `"hostile"`, `"USD"`)
	writeWithMoney(t, dir, trendRun(t, 3, base.Add(2*time.Hour), 11, 1), `25.5`, `"USD"`)
	runDir, err := WriteWith(dir, trendRun(t, 4, base.Add(3*time.Hour), 13, 4), []string{FormatHTML, FormatJSON}, Options{TrendRuns: 30})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(runDir, FileName(FormatHTML))
}

// TestBrowserTrendChart: the trend charts render in Chromium under the page's CSP, with scripts
// enabled and disabled (no script is needed to see them): each count chart has a visible line and
// a dot per run; the savings chart draws the runs that have the figure.
func TestBrowserTrendChart(t *testing.T) {
	path := trendReport(t)
	for _, scripts := range []bool{true, false} {
		t.Run("scripts "+strconv.FormatBool(scripts), func(t *testing.T) {
			p := openHTML(t, path, "#trend svg", func(ctx context.Context) error {
				_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !scripts})
				return err
			})
			got := p.eval(t, `['inventory','candidates','terminated','savings'].map(id => {`+
				`const s = document.querySelector('#trend-' + id + ' svg'); if (!s) { return 'none'; }`+
				`const r = s.getBoundingClientRect(); const l = s.querySelector('polyline');`+
				`return [Math.round(r.width) > 100, Math.round(r.height) > 20, l ? l.getTotalLength() > 10 : false,`+
				`s.querySelectorAll('circle').length].join(' '); })`)
			// terminated is 0 in every run: a flat line. Savings: runs 1 and 3 have the figure,
			// 2 (hostile) and 4 (none) not, so two dots and no segment of two points to join.
			want := []string{"true true true 4", "true true true 4", "true true true 4", "true true false 2"}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("chart %d: got %q, want %q (visible width, height, line drawn, dots)", i, got[i], want[i])
				}
			}
			if p.exceptions.Load() != 0 {
				t.Errorf("%d JavaScript exceptions", p.exceptions.Load())
			}
			if js := p.eval(t, `[String(document.documentElement.classList.contains('js'))]`); js[0] != strconv.FormatBool(scripts) {
				t.Errorf("script ran: %s, want %v", js[0], scripts)
			}
		})
	}
}

// write100k writes the 100,000-instance report of TestHTMLAtScale and returns report.html's path
// and size.
func write100k(tb testing.TB) (string, int64) {
	tb.Helper()
	r := bigRun(tb, 100_000, 40)
	runDir, err := WriteWith(tb.TempDir(), r, []string{FormatHTML}, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(runDir, FileName(FormatHTML))
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, fi.Size()
}

// jsFilterTimed types a filter the way the input event does and returns how long filtering and
// the layout after it took (ms) and how many rows are shown.
const jsFilterTimed = `(() => { const t0 = performance.now(); const f = document.getElementById('filter');` +
	`f.value = 'hkg-a'; f.dispatchEvent(new Event('input')); void document.body.offsetHeight;` +
	`return [String(performance.now() - t0), document.getElementById('shown-count').textContent,` +
	`String(document.querySelectorAll('#instances tbody tr.instance').length)]; })()`

// TestBrowser100k: the 100,000-instance report is within 5 MB, opens in Chromium and filters.
func TestBrowser100k(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and opens a 100,000-instance report")
	}
	path, size := write100k(t)
	if size > 5_000_000 {
		t.Errorf("report.html is %d bytes, over 5 MB", size)
	}
	p := openHTML(t, path, "#instances tbody tr.instance")
	got := p.eval(t, jsFilterTimed)
	shown, _ := strconv.Atoi(got[1])
	rows, _ := strconv.Atoi(got[2])
	if rows < 2500 || shown == 0 || shown >= rows {
		t.Errorf("after filtering %d of %d rows shown; want some, not all", shown, rows)
	}
	if p.exceptions.Load() != 0 {
		t.Errorf("%d JavaScript exceptions", p.exceptions.Load())
	}
}

// BenchmarkHTMLReport100k opens the 100,000-instance report in headless Chromium and applies a
// text filter, per iteration. Custom metrics: bytes is the file's size; dcl_ms and load_ms are the
// browser's own navigation timing (DOMContentLoaded, load: parsed, then laid out); open_ms is the
// wall time from navigation until the rows can be queried over the DevTools protocol; filter_ms is
// the filter with the layout after it; total_ms is open_ms + filter_ms. One browser is reused;
// start-up is not counted. Run it with `make bench-report`.
func BenchmarkHTMLReport100k(b *testing.B) {
	path, size := write100k(b)
	p := openHTML(b, path, "#instances tbody tr.instance")
	u := url.URL{Scheme: "file", Path: path}
	var open, filter, dcl, load float64
	n := 0
	for b.Loop() {
		start := time.Now()
		if err := chromedp.Do(p.ctx, chromedp.Navigate(u.String()), chromedp.WaitReady(chromedp.CSS("#instances tbody tr.instance"))); err != nil {
			b.Fatalf("open: %v", err)
		}
		open += float64(time.Since(start).Microseconds()) / 1000
		nav := p.eval(b, `(() => { const n = performance.getEntriesByType('navigation')[0];`+
			`return [String(n.domContentLoadedEventEnd), String(n.loadEventEnd)]; })()`)
		got := p.eval(b, jsFilterTimed)
		for i, f := range []struct {
			text string
			sum  *float64
		}{{nav[0], &dcl}, {nav[1], &load}, {got[0], &filter}} {
			v, err := strconv.ParseFloat(f.text, 64)
			if err != nil {
				b.Fatalf("timing %d %q: %v", i, f.text, err)
			}
			*f.sum += v
		}
		n++
	}
	per := func(sum float64) float64 { return sum / float64(n) }
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(per(dcl), "dcl_ms")
	b.ReportMetric(per(load), "load_ms")
	b.ReportMetric(per(open), "open_ms")
	b.ReportMetric(per(filter), "filter_ms")
	b.ReportMetric(per(open+filter), "total_ms")
}
