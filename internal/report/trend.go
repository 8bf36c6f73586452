package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultTrendRuns is how many runs the trend of the HTML and Markdown reports covers when the
// config does not say (report.trend_runs).
const DefaultTrendRuns = 30

// maxTrendAmount bounds the savings a trend believes: a larger figure in an old report.json is
// taken for damage and shown as missing, never drawn.
const maxTrendAmount = 1e15

// TrendPoint is one run of the trend: its counts and, when the run had cost data, the cumulative
// realized savings and their currency (README, Cost and savings).
type TrendPoint struct {
	RunID      string
	Seq        uint64
	StartedAt  time.Time
	Inventory  int
	Candidates int
	Terminated int
	Savings    *float64 // cumulative_realized_savings; nil when the run has none (or a bad one)
	Currency   string
}

// trendDoc is what a trend reads from report.json beyond the list entry: the top-level money
// fields of README, Cost and savings. The money fields are kept
// raw, so a report with a hostile or unexpected value is read and the value shown as missing.
type trendDoc struct {
	Cumulative json.RawMessage `json:"cumulative_realized_savings"`
	Currency   json.RawMessage `json:"currency"`
}

// Trend returns the trend of at most n runs ending with r: the newest readable runs under dir
// before r (newest by sequence, as List orders them; when r is listed, only the runs listed after
// it, so a stored run shows the trend it was written with; a run whose report cannot be read is
// left out), oldest first, then r itself. n < 1 is no trend. A past report that is damaged never
// fails the trend; an unreadable directory does.
func Trend(dir string, r *Run, n int) ([]TrendPoint, error) {
	if n < 1 {
		return nil, nil
	}
	entries, err := List(dir)
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	if i := slices.IndexFunc(entries, func(e Entry) bool { return e.RunID == r.RunID }); i >= 0 {
		entries = entries[i+1:]
	}
	var past []TrendPoint
	for _, e := range entries {
		if len(past) == n-1 {
			break
		}
		if e.Problem != "" || e.RunID == r.RunID {
			continue
		}
		p := TrendPoint{RunID: e.RunID, Seq: e.Seq, StartedAt: e.StartedAt, Inventory: e.InventorySize,
			Terminated: e.Counts[ActionTerminated]}
		for a, c := range e.Counts {
			if IsCandidate(a) {
				p.Candidates += c
			}
		}
		var d trendDoc
		if err := readRunHeader(dir, e.RunID, &d); err == nil {
			p.Savings, p.Currency = trendMoney(d)
		}
		past = append(past, p)
	}
	slices.Reverse(past)
	return append(past, currentPoint(r)), nil
}

// currentPoint is r as a trend point. The money fields are read from r's JSON header, so the trend
// takes whatever the run model says without this file naming its fields.
func currentPoint(r *Run) TrendPoint {
	p := TrendPoint{RunID: r.RunID, Seq: r.Seq, StartedAt: r.StartedAt, Inventory: r.InventorySize,
		Candidates: r.Summary.Candidates, Terminated: r.Summary.ByAction[ActionTerminated]}
	head := r.header()
	if b, err := json.Marshal(head); err == nil {
		var d trendDoc
		if json.Unmarshal(b, &d) == nil {
			p.Savings, p.Currency = trendMoney(d)
		}
	}
	return p
}

// trendMoney reads the cumulative savings, a number or an object with the number as "total" (the
// savings ledger: total, by_policy, by_month), and the currency. Anything else is no figure.
func trendMoney(d trendDoc) (*float64, string) {
	var amount *float64
	raw := d.Cumulative
	var ledger struct {
		Total json.RawMessage `json:"total"`
	}
	if json.Unmarshal(raw, &ledger) == nil && ledger.Total != nil {
		raw = ledger.Total
	}
	var f float64
	if string(bytes.TrimSpace(raw)) != "null" && json.Unmarshal(raw, &f) == nil && !math.IsNaN(f) && math.Abs(f) < maxTrendAmount {
		amount = &f
	}
	var cur string
	if json.Unmarshal(d.Currency, &cur) != nil {
		cur = ""
	}
	return amount, cutLabel(printable(strings.TrimSpace(cur)), 12)
}

// trendSavingsText is a point's savings for people: "1,234.50 USD" or "no cost data".
func trendSavingsText(p TrendPoint) string {
	if p.Savings == nil {
		return "no cost data"
	}
	return strings.TrimSpace(fmtMoney(*p.Savings) + " " + p.Currency)
}

// htmlTrend is the trend as the HTML report draws it: one small chart per series.
type htmlTrend struct {
	Runs   int
	Charts []htmlChart
}

// htmlChart is one series drawn as inline SVG in a 300×80 box: polylines (a run without the
// value breaks the line) and a dot per run with a title for the tooltip.
type htmlChart struct {
	ID, Title        string
	Latest, Min, Max string
	Empty            string // set when no run has the value: what to say instead of a chart
	Lines            []string
	Dots             []htmlDot
}

type htmlDot struct{ X, Y, Title string }

const (
	chartW, chartH, chartPad = 300.0, 80.0, 5.0
)

func newHTMLTrend(points []TrendPoint, _ int) htmlTrend {
	if len(points) == 0 {
		return htmlTrend{}
	}
	count := func(f func(TrendPoint) int) func(TrendPoint) (float64, bool) {
		return func(p TrendPoint) (float64, bool) { return float64(f(p)), true }
	}
	t := htmlTrend{Runs: len(points)}
	t.Charts = append(t.Charts,
		newChart("inventory", "Inventory", points, count(func(p TrendPoint) int { return p.Inventory }), fmtCount),
		newChart("candidates", "Candidates", points, count(func(p TrendPoint) int { return p.Candidates }), fmtCount),
		newChart("terminated", "Terminated", points, count(func(p TrendPoint) int { return p.Terminated }), fmtCount),
	)
	money := newChart("savings", "Cumulative realized savings", points, func(p TrendPoint) (float64, bool) {
		if p.Savings == nil {
			return 0, false
		}
		return *p.Savings, true
	}, fmtMoney)
	if money.Empty == "" {
		if cur := points[len(points)-1].Currency; cur != "" {
			money.Title += " (" + cur + ")"
		}
	}
	t.Charts = append(t.Charts, money)
	return t
}

func fmtCount(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }

func newChart(id, title string, points []TrendPoint, value func(TrendPoint) (float64, bool), format func(float64) string) htmlChart {
	c := htmlChart{ID: id, Title: title}
	lo, hi, any := math.Inf(1), math.Inf(-1), false
	for _, p := range points {
		if v, ok := value(p); ok {
			lo, hi, any = min(lo, v), max(hi, v), true
		}
	}
	if !any {
		c.Empty = "no cost data"
		return c
	}
	c.Min, c.Max = format(lo), format(hi)
	if v, ok := value(points[len(points)-1]); ok {
		c.Latest = format(v)
	} else {
		c.Latest = "no cost data"
	}
	var line []string
	for i, p := range points {
		v, ok := value(p)
		if !ok {
			if len(line) > 1 {
				c.Lines = append(c.Lines, strings.Join(line, " "))
			}
			line = nil
			continue
		}
		x := chartW / 2
		if len(points) > 1 {
			x = chartPad + float64(i)*(chartW-2*chartPad)/float64(len(points)-1)
		}
		y := chartH / 2
		if hi > lo {
			y = chartH - chartPad - (v-lo)/(hi-lo)*(chartH-2*chartPad)
		}
		xs, ys := strconv.FormatFloat(x, 'f', 1, 64), strconv.FormatFloat(y, 'f', 1, 64)
		line = append(line, xs+","+ys)
		c.Dots = append(c.Dots, htmlDot{X: xs, Y: ys, Title: p.RunID + ": " + format(v)})
	}
	if len(line) > 1 {
		c.Lines = append(c.Lines, strings.Join(line, " "))
	}
	return c
}
