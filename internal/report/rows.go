package report

import (
	"io"
	"unicode/utf8"
)

// Which instances the HTML report shows as rows. Every action and every skip reason of the
// vocabulary is classified here and nowhere else; TestEveryActionIsClassified fails when one is
// added without a place in these tables.

// rowActions says, per action, whether an instance with it is a row of the HTML report (someone
// may have to look at it: it is or was a candidate) or only counted in the aggregates.
var rowActions = map[string]bool{
	ActionFailed:         true,
	ActionUnconfirmed:    true,
	ActionBlocked:        true,
	ActionTerminated:     true,
	ActionWouldTerminate: true,
	ActionMarked:         true,
	ActionSkipped:        false, // but see rowSkipReasons
	ActionProtected:      false,
	ActionExempt:         false,
	ActionKept:           false,
}

// rowSkipReasons says, per skip reason that is not an instance status, whether a skipped instance
// with it is a row anyway: a due candidate that reaper did not act on because the re-check before
// acting disagreed (changed) or could not be made is something an operator looks at; a
// subscription, a commitment or an instance that is gone is not. A status (STARTING, RECYCLE...)
// as skip reason is aggregated.
var rowSkipReasons = map[string]bool{
	"subscription":   false,
	"commitment":     false,
	"changed":        true,
	"gone":           false,
	"recheck_failed": true,
	"not_attempted":  true,
	"unconfirmed":    true,
}

// isRow reports whether the HTML report shows in as a row. An action this package does not know
// (a report from a newer reaper) is shown: better a row too many than a candidate hidden.
func isRow(in *Instance) bool {
	if in.Action == ActionSkipped {
		return rowSkipReasons[in.SkipReason]
	}
	row, known := rowActions[in.Action]
	return row || !known
}

// allRowsUpTo is the inventory size up to which the HTML report shows every instance as a row, as
// a small fleet's operator wants to see them all; above it, only the rows isRow picks, and the rest
// is counted in the aggregates.
const allRowsUpTo = 2000

// rowBudget is how many bytes of table rows the HTML report writes at most, so that the page (with
// about 100 kB of style, script, summary, trend and aggregates) stays under 5 MB whatever the
// fleet. A row is about 1.3 kB, so about 3,600 rows fit: every candidate of a 100,000-instance
// fleet with up to 3.5% of it candidates. Rows go most urgent first; when the budget is spent, the
// rest are counted and the page points at the CSV and JSON, which keep every instance.
const rowBudget = 4_750_000

// chunkRows is how many rows each chunk of the HTML report's table holds. Each chunk is a table of
// its own with the same fixed column widths, in a box the browser may skip while it is off screen
// (content-visibility: auto), so opening, filtering and sorting lay out and paint the rows on
// screen, not all of them: a single table of 2,600 rows took 2 to 4 s to open in Chromium, nearly
// all of it layout and paint (docs/PERFORMANCE.md). Browsers do not skip parts of one table, so
// the chunks must be tables.
const chunkRows = 200

// aggregateTop is how many values each aggregate table lists before "N other values".
const aggregateTop = 20

// aggregateLabelWidth cuts an aggregate's label (a reason is free text from a policy or the fleet).
const aggregateLabelWidth = 200

// countingWriter counts the bytes written through it, so the row iterator can keep to rowBudget.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// aggregateReason is the reason an aggregated instance is counted under.
func aggregateReason(in *Instance) string {
	switch in.Action {
	case ActionSkipped:
		return "skipped: " + orNone(in.SkipReason)
	case ActionProtected:
		return "protected: " + orNone(in.SkipReason)
	case ActionExempt:
		if len(in.Exemptions) > 0 {
			e := in.Exemptions[0]
			return "exempt · " + e.Policy + ": " + e.Reason
		}
		return "exempt"
	case ActionKept:
		return "kept: no decision"
	}
	return in.Action
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// cutLabel cuts s to n runes, marking the cut with an ellipsis.
func cutLabel(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// htmlAggregate is one table of the aggregated instances: counts by one key, the most common first.
type htmlAggregate struct {
	ID, Title   string
	Counts      []htmlCount
	Others      int // how many further values are not listed
	OthersCount int // how many instances they hold
}

func newAggregate(id, title string, m map[string]int) htmlAggregate {
	a := htmlAggregate{ID: id, Title: title}
	keys := sortedKeys(m)
	top := 0
	if len(keys) > 0 {
		top = m[keys[0]]
	}
	for i, k := range keys {
		if i >= aggregateTop {
			a.Others++
			a.OthersCount += m[k]
			continue
		}
		a.Counts = append(a.Counts, htmlCount{Name: k, Label: cutLabel(orNone(k), aggregateLabelWidth), Count: m[k], Width: width(m[k], top)})
	}
	return a
}

// aggregates counts the instances that are not rows by action, reason, zone and type.
func aggregates(r *Run, shown func(*Instance) bool) (total int, out []htmlAggregate) {
	byAction, byReason, byZone, byType := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, in := range r.All() {
		if shown(in) {
			continue
		}
		total++
		byAction[in.Action]++
		byReason[aggregateReason(in)]++
		byZone[in.Zone]++
		byType[in.Type]++
	}
	if total == 0 {
		return 0, nil
	}
	return total, []htmlAggregate{
		newAggregate("agg-action", "By action", byAction),
		newAggregate("agg-reason", "By reason", byReason),
		newAggregate("agg-zone", "By zone", byZone),
		newAggregate("agg-type", "By type", byType),
	}
}
