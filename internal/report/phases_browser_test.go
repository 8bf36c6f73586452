package report

import (
	"context"
	"encoding/json"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// tracePhases are the DevTools timeline events BenchmarkHTMLReport100kPhases adds up, by the
// metric they count in: where the browser's main thread spends opening and filtering the page.
var tracePhases = map[string]string{
	"ParseHTML":        "parse_ms",
	"UpdateLayoutTree": "style_ms",
	"Layout":           "layout_ms",
	"PrePaint":         "paint_ms",
	"Paint":            "paint_ms",
	"Layerize":         "paint_ms",
	"EvaluateScript":   "script_ms",
	"FunctionCall":     "script_ms",
}

// BenchmarkHTMLReport100kPhases opens the 100,000-instance report and filters it, as
// BenchmarkHTMLReport100k does, with a DevTools trace (category devtools.timeline) running, and
// reports the main thread's time per phase: parse_ms (HTML parsing), style_ms (style recalculation),
// layout_ms, paint_ms (pre-paint, paint and layerization) and script_ms, per iteration. Tracing
// slows the page a little; the times to compare with the target are BenchmarkHTMLReport100k's.
// Run it with `make bench-report`.
func BenchmarkHTMLReport100kPhases(b *testing.B) {
	path, _ := write100k(b)
	p := openHTML(b, path, "#instances tbody tr.instance")
	u := url.URL{Scheme: "file", Path: path}
	sums := map[string]float64{}
	n := 0
	for b.Loop() {
		for k, v := range tracePhaseTimes(b, p, func() {
			if err := chromedp.Do(p.ctx, chromedp.Navigate(u.String()), chromedp.WaitReady(chromedp.CSS("#instances tbody tr.instance"))); err != nil {
				b.Fatalf("open: %v", err)
			}
			p.eval(b, jsFilterTimed)
		}) {
			sums[k] += v
		}
		n++
	}
	for _, metric := range []string{"parse_ms", "style_ms", "layout_ms", "paint_ms", "script_ms"} {
		b.ReportMetric(sums[metric]/float64(n), metric)
	}
}

// tracePhaseTimes runs do with a DevTools trace on and returns the time of the main thread's
// complete ("X") events in tracePhases, by metric, in ms.
func tracePhaseTimes(b *testing.B, p *browserPage, do func()) map[string]float64 {
	b.Helper()
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	var (
		mu     sync.Mutex
		values []jsonv2.Value
		done   = make(chan struct{})
	)
	// Listen sees the events in the order they arrive: every dataCollected before tracingComplete.
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			values = append(values, ev.Value...)
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(done)
		}
	})
	if err != nil {
		b.Fatalf("listen: %v", err)
	}
	if _, err := chromedp.Call(p.ctx, tracing.Start, tracing.StartParams{
		TraceConfig: &tracing.TraceConfig{IncludedCategories: []string{"devtools.timeline"}},
	}); err != nil {
		b.Fatalf("start trace: %v", err)
	}
	do()
	if _, err := chromedp.Call(p.ctx, tracing.End, cdp.Empty{}); err != nil {
		b.Fatalf("end trace: %v", err)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		b.Fatal("the trace did not complete in 60 s")
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	sum := map[string]float64{}
	for _, v := range values {
		var ev struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			Dur  float64 `json:"dur"` // µs
		}
		if err := json.Unmarshal(v, &ev); err != nil {
			b.Fatalf("trace event: %v", err)
		}
		if metric, ok := tracePhases[ev.Name]; ok && ev.Ph == "X" {
			sum[metric] += ev.Dur / 1000
		}
	}
	return sum
}
