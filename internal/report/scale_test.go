package report

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// TestEveryActionIsClassified: every action and every skip reason of reconcile's vocabulary has a
// place in rowActions or rowSkipReasons, and nothing else is there. It fails when reconcile adds an
// action or a skip reason that the HTML report has not been told to list or to count.
func TestEveryActionIsClassified(t *testing.T) {
	var actions []string
	for _, a := range reconcile.Actions() {
		actions = append(actions, string(a))
	}
	if got := slices.Sorted(maps.Keys(rowActions)); !slices.Equal(got, slices.Sorted(slices.Values(actions))) {
		t.Errorf("rowActions classifies %v, the vocabulary has %v", got, actions)
	}
	if got, want := slices.Sorted(maps.Keys(rowSkipReasons)), slices.Sorted(slices.Values(reconcile.SkipReasons())); !slices.Equal(got, want) {
		t.Errorf("rowSkipReasons classifies %v, the vocabulary has %v", got, want)
	}
	// The list: every candidate is a row, and so is a due instance that changed.
	for _, a := range actions {
		if IsCandidate(a) && !rowActions[a] {
			t.Errorf("candidate action %s is not a row", a)
		}
	}
	if !isRow(&Instance{Action: ActionSkipped, SkipReason: reconcile.SkipChanged}) {
		t.Error("a skip for changed is not a row")
	}
	if isRow(&Instance{Action: ActionSkipped, SkipReason: "INSTALLING"}) {
		t.Error("a skip for a status is a row")
	}
	if !isRow(&Instance{Action: "from_the_future"}) {
		t.Error("an unknown action is hidden; it must be a row")
	}
}

// bigRun is a finalized dry run of n instances: candidates of every kind (one in candEvery), a few
// skipped for changed, the rest kept, exempt, protected or skipped, with realistic names, tags and
// reasons. Every 1000th kept instance has a unique reason, so the reason aggregate overflows.
func bigRun(t testing.TB, n, candEvery int) *Run {
	t.Helper()
	zones := []string{"HKG-A", "FRA-A", "SIN-B", "LAX-A", "NYC-A", "TYO-A"}
	types := []string{"S9I", "M6C", "L12G", "S5", "S10"}
	open := []string{ActionWouldTerminate, ActionMarked, ActionWouldTerminate, ActionMarked, ActionBlocked}
	r := &Run{RunID: "20261203T000000Z-abcdef", Seq: 100, Command: reconcile.CommandPlan, StartedAt: t0, FinishedAt: t0.Add(time.Minute),
		DryRun: true, Result: ResultOK, Policies: []string{"reaper.expiry", "reaper.idle", "reaper.keep"}}
	r.Instances = make([]Instance, n)
	for i := range r.Instances {
		in := Instance{ID: fmt.Sprintf("9322373695%08d", i), Name: fmt.Sprintf("worker-%s-%06d", strings.ToLower(zones[i%6]), i),
			Zone: zones[i%len(zones)], Type: types[i%len(types)], Status: "RUNNING", ChargeType: "POSTPAID",
			Tags: tagsOf(map[string]string{"owner": fmt.Sprintf("team-%d", i%40), "env": "prod"})}
		switch {
		case i%candEvery == 0:
			in.Action = open[(i/candEvery)%len(open)]
			in.Reasons = reasons("reaper.idle", fmt.Sprintf("p95 traffic %d bps in / %d bps out over 72h, under 100 kbps", i%90, i%70))
			in.MarkedAt, in.DueAt = at(-time.Duration(i%50)*time.Hour), at(time.Duration(i%30-10)*time.Hour)
			in.Traffic = &Traffic{WindowSeconds: 259200, Samples: 864, Complete: true, InP95Bps: int64(i % 90), OutP95Bps: int64(i % 70)}
		case i%997 == 1:
			in.Action, in.SkipReason = ActionSkipped, reconcile.SkipChanged
			in.Reasons = reasons("reaper.expiry", "reaper-expires-at is in the past")
		case i%10 == 1:
			in.Action, in.Exemptions = ActionExempt, reasons("reaper.keep", "tag reaper-keep is true")
		case i%10 == 2:
			in.Action, in.SkipReason = ActionProtected, "protected by tag reaper-protect=true"
		case i%10 == 3:
			in.Action, in.SkipReason, in.Status = ActionSkipped, "INSTALLING", "INSTALLING"
		case i%1000 == 4:
			in.Action, in.Exemptions = ActionExempt, reasons("reaper.keep", fmt.Sprintf("ticket OPS-%d says keep", i))
		default:
			in.Action = ActionKept
		}
		r.Instances[i] = in
	}
	r.InventorySize = n
	r.Finalize(samplePricing)
	return r
}

// TestHTMLAtScale: at 100,000 instances the HTML lists every row isRow picks and no other, counts
// the rest by action, reason, zone and type, links to the full data, and stays under 5 MB.
func TestHTMLAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 100,000-instance report")
	}
	r := bigRun(t, 100_000, 40) // 2.5% candidates
	dir := t.TempDir()
	runDir, err := WriteWith(dir, r, []string{FormatHTML, FormatCSV, FormatJSON}, Options{Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(runDir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if len(doc) > 5_000_000 {
		t.Errorf("the 100k HTML is %d bytes, over 5 MB", len(doc))
	}
	t.Logf("100k HTML: %d bytes", len(doc))
	want := 0
	for i := range r.Instances {
		if isRow(&r.Instances[i]) {
			want++
		}
	}
	if got := strings.Count(doc, `<tr class="instance"`); got != want || want < 2500 {
		t.Errorf("%d rows, want %d (every candidate and changed skip)", got, want)
	}
	if strings.Contains(doc, `data-action="kept" data-candidate`) || strings.Contains(doc, `data-action="exempt" data-candidate`) {
		t.Error("a kept or exempt instance is a row at 100k")
	}
	if !strings.Contains(doc, `data-action="skipped" data-candidate`) {
		t.Error("the instances skipped for changed are not rows")
	}
	for _, id := range []string{"aggregated", "agg-action", "agg-reason", "agg-zone", "agg-type", "scale-note"} {
		if !strings.Contains(doc, `id="`+id+`"`) {
			t.Errorf("no #%s", id)
		}
	}
	if !strings.Contains(doc, `other values</td>`) {
		t.Error("the reason aggregate lists every unique reason; want the top values and a count of the others")
	}
	for _, f := range []string{"report.csv.gz", "report.json.gz"} {
		if !strings.Contains(doc, `<a class="datafile" href="`+f+`">`) {
			t.Errorf("no link to %s", f)
		}
	}
	if strings.Contains(doc, `href="report.json"`) {
		t.Error("the HTML links to report.json, which compress did not write")
	}
}

// TestHTMLRowBudget: when the rows to list are more than fit in rowBudget (every instance a
// candidate with long reasons), the page stops listing, says how many it left out, and stays
// under 5 MB.
func TestHTMLRowBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a large report")
	}
	r := bigRun(t, 30_000, 1)
	long := strings.Repeat("a long reason from a policy ", 10)
	for i := range r.Instances {
		r.Instances[i].Reasons = append(r.Instances[i].Reasons, Reason{Policy: "reaper.idle", Reason: long})
	}
	doc := renderHTML(t, r)
	if len(doc) > 5_000_000 {
		t.Errorf("HTML is %d bytes, over 5 MB", len(doc))
	}
	rows := strings.Count(doc, `<tr class="instance"`)
	if rows == 0 || rows >= len(r.Instances) {
		t.Fatalf("%d rows of %d: want the budget to cut", rows, len(r.Instances))
	}
	if want := fmt.Sprintf(`id="omitted">%d more rows are not listed`, len(r.Instances)-rows); !strings.Contains(doc, want) {
		t.Errorf("no %q", want)
	}
	// Most urgent first: the blocked rows come before the would_terminate ones.
	if strings.Index(doc, `data-action="blocked"`) > strings.Index(doc, `data-action="would_terminate"`) {
		t.Error("rows are not most urgent first")
	}
}

// TestHTMLSmallFleetListsEverything: up to allRowsUpTo instances every instance is a row and no
// aggregate is drawn.
func TestHTMLSmallFleetListsEverything(t *testing.T) {
	r := bigRun(t, allRowsUpTo, 20)
	doc := renderHTML(t, r)
	if got := strings.Count(doc, `<tr class="instance"`); got != allRowsUpTo {
		t.Errorf("%d rows, want %d", got, allRowsUpTo)
	}
	if strings.Contains(doc, `id="aggregated"`) {
		t.Error("a small fleet has an aggregate")
	}
	r = bigRun(t, allRowsUpTo+1, 20)
	if doc := renderHTML(t, r); !strings.Contains(doc, `id="aggregated"`) {
		t.Error("one instance over allRowsUpTo: no aggregate")
	}
}

// TestHTMLCostColumn: the per-month cell shows the cost with its source, an unknown cost shows as
// unknown and never as 0, and the column header names the currency.
func TestHTMLCostColumn(t *testing.T) {
	r := sampleRun(t)
	r.Currency = "EUR"
	doc := renderHTML(t, r)
	if !strings.Contains(doc, `Per month (EUR)</button>`) {
		t.Error("the cost column does not name the currency")
	}
	// samplePricing prices S9I at 499 (an override) and not S10 (unknown).
	if !strings.Contains(doc, `<td data-sort="499.000000" class="r num">499.00<div class="muted small cost-source">override</div></td>`) {
		t.Error("no 499.00 from override")
	}
	if !strings.Contains(doc, `<td data-sort="" class="r num"><div class="muted small cost-source">unknown</div></td>`) {
		t.Error("no unknown cost without an amount")
	}
}
