package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	//go:embed report.html.tmpl
	htmlSource string
	//go:embed report.css
	htmlCSS string
	//go:embed report.js
	htmlJS string

	htmlTemplate = template.Must(template.New("report").Parse(htmlSource))
)

// WriteHTML writes report.html: one self-contained page (inline CSS and JS, no external resources,
// a Content-Security-Policy that forbids loading anything and allows only the page's own style
// and script, by hash) with summary cards, counts by action,
// policy and zone, and the instances (in #instances, rows tr.instance) that JavaScript can sort and
// filter. The rows are rendered on the server, so the page reads without JavaScript, in chunks of
// chunkRows (see there). html/template escapes every value from the fleet for its context.
//
// Above allRowsUpTo instances, the table holds only the rows isRow picks (the candidates, and the
// skips an operator looks at), most urgent first and within rowBudget bytes; the other instances are
// counted by action, reason, zone and type, and the page links to the CSV and JSON, which keep every
// instance. WriteHTML links to report.json and report.csv; Write links to the files it wrote, and
// WriteStoredHTML to the files of a stored run.
func WriteHTML(w io.Writer, r *Run) error {
	return writeHTML(w, r, pageExtras{DataFiles: []string{FileName(FormatCSV), FileName(FormatJSON)}})
}

// WriteStoredHTML is WriteHTML for a run stored in dir (as Load read it): the page links the
// run's data files that exist, report.json or report.json.gz (report.compress) and so on, and
// shows the trend of at most trendRuns runs ending with r (see Trend), as the page the run wrote
// did. A directory the trend cannot read costs only the trend, as it does when a run writes.
func WriteStoredHTML(w io.Writer, dir string, r *Run, trendRuns int) error {
	if !ValidRunID(r.RunID) {
		return fmt.Errorf("write html: invalid run id %q", r.RunID)
	}
	trend, _ := Trend(dir, r, trendRuns)
	return writeHTML(w, r, pageExtras{DataFiles: storedDataFiles(filepath.Join(dir, r.RunID)),
		Trend: trend, TrendRuns: trendRuns})
}

// pageExtras is what the HTML and Markdown reports show beyond the run: the files the run's full
// data is in, and the trend over past runs. Write fills it.
type pageExtras struct {
	DataFiles []string     // names of the run's JSON and CSV files, as written
	Trend     []TrendPoint // oldest first, this run last; empty when there is no trend
	TrendRuns int          // how many runs the trend covers at most (report.trend_runs)
}

func writeHTML(w io.Writer, r *Run, x pageExtras) error {
	cw := &countingWriter{w: w}
	if err := htmlTemplate.Execute(cw, newHTMLView(printableRun(r), x, cw)); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

type htmlView struct {
	Run                        *Run
	DryRun                     bool
	Mode, ResultClass          string
	ModeBadge, ModeMeaning     string
	Headline                   string
	BannerTitle, Banner        string
	Started, StartedISO, Took  string
	ConfigDigest, PolicyDigest string
	Cards                      []htmlCard
	ByAction                   []htmlCount
	ByPolicy, ByZone           []htmlCount
	// Rows yields the table rows one at a time, so a large fleet's rows are never all in
	// memory; RowCount is how many there are. Rows stops at rowBudget bytes and counts the rows
	// it left out in Omitted.
	Rows     iter.Seq[htmlRow]
	RowCount int
	Omitted  int
	// AllRows is true when every instance is a row; otherwise Aggregated instances are counted
	// in Aggregates only.
	AllRows    bool
	Aggregated int
	Aggregates []htmlAggregate
	DataFiles  []string
	Trend      htmlTrend
	CSS        template.CSS
	JS         template.JS
	CSP        string // the Content-Security-Policy: hashes of CSS and JS
}

type htmlCard struct {
	Key, Label, Value, Detail, Tone string
	Wordy                           bool // Value is words, not a number
}

type htmlCount struct {
	Name, Label, Class string
	Count, Of, Width   int
}

type htmlRow struct {
	ID, Name, Zone, Type, Status, ChargeType string
	Action, ActionLabel, Class               string
	Rank                                     int
	Candidate                                bool
	Tags                                     []string
	Reasons, Exemptions, Warnings            []Reason
	SkipReason, SkipLabel                    string
	RequestID, Error, TermNote               string
	Marked, MarkedISO, MarkedSort            string
	Due, DueISO, DueSort, DueRel             string
	Recycle, RecycleISO, RecycleSort         string
	Traffic, TrafficSort                     string
	TrafficPartial                           bool
	Price, PriceSort                         string
	CostSource                               string // override, bill, list or unknown (README, Cost and savings)
	// Break is true on the first row of every chunk but the first: the page closes the chunk
	// before it and opens the next (see chunkRows).
	Break bool
}

func newHTMLView(r *Run, x pageExtras, out *countingWriter) *htmlView {
	v := &htmlView{
		Run:          r,
		DryRun:       isDryRun(r),
		Mode:         modeLabel(r),
		ResultClass:  resultClass(r.Result),
		Headline:     headline(r),
		Started:      cellTime(&r.StartedAt),
		StartedISO:   isoTime(&r.StartedAt),
		Took:         took(r),
		ConfigDigest: shortDigest(r.ConfigDigest),
		PolicyDigest: shortDigest(r.PolicyDigest),
		CSS:          template.CSS(htmlStyle),
		JS:           template.JS(htmlScript),
		CSP:          htmlCSP,
	}
	v.BannerTitle, v.Banner = banner(r)
	v.ModeBadge, v.ModeMeaning = modeBadge(r)
	v.Cards = cards(r)
	v.ByAction = actionCounts(r)
	v.ByPolicy = counts(r.Summary.ByPolicy, nil)
	v.ByZone = counts(r.Summary.ByZone, inventoryByZone(r))
	v.DataFiles = x.DataFiles
	v.Trend = newHTMLTrend(x.Trend, x.TrendRuns)
	shown := isRow
	if v.AllRows = r.Len() <= allRowsUpTo; v.AllRows {
		shown = func(*Instance) bool { return true }
	}
	v.Aggregated, v.Aggregates = aggregates(r, shown)
	order := displayOrder(r, shown)
	v.RowCount = len(order)
	v.Rows = func(yield func(htmlRow) bool) {
		start := out.n
		for n, i := range order {
			if out.n-start > rowBudget {
				v.Omitted = len(order) - n
				return
			}
			row := newHTMLRow(printableInstance(r.Row(i)), r.StartedAt)
			row.Break = n > 0 && n%chunkRows == 0
			if !yield(row) {
				return
			}
		}
	}
	return v
}

func resultClass(result string) string {
	switch result {
	case ResultOK, ResultBlocked, ResultAborted, ResultFailed:
		return result
	}
	return "failed"
}

func banner(r *Run) (title, text string) {
	switch {
	case r.Result == ResultAborted:
		return "Aborted.", "The cycle stopped before acting" + suffix(r.Error) + ". Nothing was terminated."
	case r.Blocked != nil:
		return "Blocked by " + r.Blocked.Limit + ".", strings.TrimSuffix(blockText(r.Blocked), ".") + ". Nothing was terminated."
	case r.Result == ResultBlocked:
		return "Blocked.", "A safety limit blocked the cycle. Nothing was terminated."
	case r.Result == ResultFailed:
		if r.Error != "" {
			return "Failed.", r.Error
		}
		n := r.Summary.ByAction[ActionFailed]
		return "Failed.", fmt.Sprintf("%d %s failed.", n, plural(n, "termination", "terminations"))
	}
	return "", ""
}

func cards(r *Run) []htmlCard {
	c := r.Summary.ByAction
	zones := len(inventoryByZone(r))
	out := []htmlCard{{
		Key: "inventory", Label: "Inventory", Value: strconv.Itoa(r.InventorySize), Tone: "info",
		Detail: fmt.Sprintf("instances in %d %s", zones, plural(zones, "zone", "zones")),
	}, {
		Key: "candidates", Label: "Candidates", Value: strconv.Itoa(r.Summary.Candidates), Tone: toneIf(r.Summary.Candidates > 0, "warn", "good"),
		Detail: fmt.Sprintf("%d would terminate · %d marked · %d blocked · %d failed · %d unconfirmed",
			c[ActionWouldTerminate], c[ActionMarked], c[ActionBlocked], c[ActionFailed], c[ActionUnconfirmed]),
	}}
	term := htmlCard{Key: "terminated", Label: "Terminated", Value: strconv.Itoa(c[ActionTerminated]), Tone: "info"}
	switch {
	case isDryRun(r):
		term.Detail = strings.ToLower(dryWord(r)) + ": reaper did not terminate anything"
	case c[ActionTerminated] > 0:
		term.Tone, term.Detail = "bad", "see each row for where it went"
		if first := earliestDeadline(r); first != nil {
			term.Detail = "the first leaves the recycle bin " + fmtTime(first) + "; after that, it is gone"
		}
	default:
		term.Detail = "nothing was terminated"
	}
	out = append(out, term)
	safety := htmlCard{Key: "safety", Label: "Safety limits", Value: "Not blocked", Tone: "good", Wordy: true,
		Detail: "the due set was within every limit"}
	switch {
	case r.Blocked != nil:
		safety.Value, safety.Tone, safety.Detail = "Blocked", "blocked", r.Blocked.Limit+": "+blockText(r.Blocked)
	case r.Result == ResultBlocked:
		safety.Value, safety.Tone, safety.Detail = "Blocked", "blocked", "a safety limit blocked the cycle"
	case r.Result == ResultAborted:
		safety.Value, safety.Tone, safety.Detail = "Aborted", "bad", r.Error
	}
	out = append(out, safety)
	if n := r.Summary.TrafficPending; n > 0 {
		out = append(out, htmlCard{Key: "traffic", Label: "Traffic pending", Value: strconv.Itoa(n), Tone: "warn",
			Detail: "not fetched in this run (traffic budget, time or a failed call); never idle until fetched"})
	}
	return append(out, savingsCard(r))
}

func savingsCard(r *Run) htmlCard {
	s := r.Savings
	card := htmlCard{Key: "savings", Label: "Est. monthly savings", Tone: "info", Detail: s.Note}
	amount := s.TerminatedMonthly
	if isDryRun(r) {
		amount = s.WouldTerminateMonthly
	}
	switch {
	case !s.Available:
		card.Value, card.Tone, card.Wordy = "estimate unavailable", "warn", true
		if total := s.WouldTerminateMonthly + s.TerminatedMonthly; total > 0 {
			card.Detail = "at least " + fmtMoney(total) + " per month; " + s.Note
		}
	case isDryRun(r):
		card.Value, card.Tone = fmtMoney(amount), "good"
		card.Detail = "per month if the would-terminate instances were terminated"
	default:
		card.Value, card.Tone = fmtMoney(amount), "good"
		card.Detail = "per month, from this run's terminations"
	}
	return card
}

// earliestDeadline returns the first recycle-bin deadline among terminated instances, or nil.
func earliestDeadline(r *Run) *time.Time {
	var first *time.Time
	for i := range r.Len() {
		if r.Action(i) != ActionTerminated {
			continue
		}
		if in := r.Row(i); compareTimes(in.RecycleDeadline, first) < 0 {
			first = in.RecycleDeadline
		}
	}
	return first
}

func toneIf(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

func actionClass(action string) string {
	if slices.Contains(Actions, action) {
		return "a-" + action
	}
	return "a-unknown"
}

func actionLabel(action string) string { return strings.ReplaceAll(action, "_", " ") }

func actionCounts(r *Run) []htmlCount {
	names := slices.Clone(Actions)
	for _, a := range sortedKeys(r.Summary.ByAction) {
		if !slices.Contains(names, a) {
			names = append(names, a)
		}
	}
	top := 0
	for _, a := range names {
		top = max(top, r.Summary.ByAction[a])
	}
	out := make([]htmlCount, 0, len(names))
	for _, a := range names {
		n := r.Summary.ByAction[a]
		out = append(out, htmlCount{Name: a, Label: actionLabel(a), Class: actionClass(a), Count: n, Width: width(n, top)})
	}
	return out
}

func counts(m map[string]int, of map[string]int) []htmlCount {
	top := 0
	for _, n := range m {
		top = max(top, n)
	}
	var out []htmlCount
	for _, k := range sortedKeys(m) {
		label := k
		if label == "" {
			label = "(none)"
		}
		out = append(out, htmlCount{Name: k, Label: label, Count: m[k], Of: of[k], Width: width(m[k], top)})
	}
	return out
}

func inventoryByZone(r *Run) map[string]int {
	m := map[string]int{}
	for _, in := range r.All() {
		m[printable(in.Zone)]++
	}
	return m
}

// width is n as a percentage of top, for the bars.
func width(n, top int) int {
	if top == 0 {
		return 0
	}
	return n * 100 / top
}

func newHTMLRow(in Instance, ref time.Time) htmlRow {
	row := htmlRow{
		ID: in.ID, Name: in.Name, Zone: in.Zone, Type: in.Type, Status: in.Status, ChargeType: in.ChargeType,
		Action: in.Action, ActionLabel: actionLabel(in.Action), Class: actionClass(in.Action),
		Rank: actionRank(in.Action), Candidate: IsCandidate(in.Action), Tags: tagList(in.Tags),
		Reasons: in.Reasons, Exemptions: in.Exemptions, Warnings: in.Warnings,
		SkipReason: in.SkipReason, SkipLabel: toneIf(in.Action == ActionProtected, "protected", "skipped"), RequestID: in.RequestID, Error: in.Error, TermNote: terminationNote(in),
		Marked: cellTime(in.MarkedAt), MarkedISO: isoTime(in.MarkedAt), MarkedSort: unixKey(in.MarkedAt),
		Due: cellTime(in.DueAt), DueISO: isoTime(in.DueAt), DueSort: unixKey(in.DueAt), DueRel: relative(in.DueAt, ref),
		Recycle: cellTime(in.RecycleDeadline), RecycleISO: isoTime(in.RecycleDeadline), RecycleSort: unixKey(in.RecycleDeadline),
	}
	if t := in.Traffic; t != nil {
		row.Traffic = fmtBps(t.InP95Bps) + " / " + fmtBps(t.OutP95Bps)
		row.TrafficSort = strconv.FormatInt(max(t.InP95Bps, t.OutP95Bps), 10)
		row.TrafficPartial = !t.Complete
	}
	if in.TrafficStatus == TrafficPending {
		row.Traffic, row.TrafficSort = TrafficPending, "-1"
	}
	if in.MonthlyPrice != nil {
		row.Price = fmtMoney(*in.MonthlyPrice)
		row.PriceSort = strconv.FormatFloat(*in.MonthlyPrice, 'f', -1, 64)
	}
	if in.MonthlyCost != nil {
		row.Price, row.PriceSort = fmtMoney(float64(*in.MonthlyCost)/1e6), in.MonthlyCost.String()
	}
	row.CostSource = in.CostSource
	return row
}

// tagList is the row's tags as "key=value", sorted; tags is a First view (printableInstance
// makes one), so a repeated key shows its first value only, as in report.json.
func tagList(tags Tags) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.Key+"="+t.Value)
	}
	slices.Sort(out)
	return out
}

// cellTime formats a time for the table, where the header says the zone: 2026-11-26 08:00.
func cellTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func isoTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func unixKey(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// shortDigest shortens "sha256:0123…" for display; the full value stays in the title attribute.
func shortDigest(d string) string {
	if r := []rune(d); len(r) > 19 {
		return string(r[:19]) + "…"
	}
	return d
}
