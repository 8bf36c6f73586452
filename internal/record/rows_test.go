package record

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// mapPricer prices instances from a fixed map.
type mapPricer map[string]pricing.Cost

func (p mapPricer) Costs(_ context.Context, in []pricing.Instance) ([]pricing.Cost, []string) {
	out := make([]pricing.Cost, len(in))
	for i := range in {
		out[i] = p[in[i].Instance.ID]
	}
	return out, []string{"one warning"}
}

// TestRowsAreTheSliceReport: the recorded report, whose rows are built from the entries when read,
// writes every format byte for byte as the same report held as one array of rows and finalized
// (the way Record built it before), and agrees with it on every figure and event.
func TestRowsAreTheSliceReport(t *testing.T) {
	cfg := testConfig(t)
	cfg.Report.Formats = []string{"json", "csv", "md", "html"}
	cfg.Pricing.Currency = "EUR"
	cfg.Pricing.Overrides = map[string]config.Override{"S9I": overrideOf(100)}
	at, due := t0.Add(-time.Hour), t0.Add(time.Hour)
	bill := money.Micros(42 * money.Unit)
	typed := func(e reconcile.Entry, typ string) reconcile.Entry { e.Instance.Type = typ; return e }
	var entries []reconcile.Entry
	for i := range 2500 { // more than the HTML shows as rows
		entries = append(entries, typed(entry(string(rune('a'+i%26))+time.Duration(i).String(), reconcile.ActionKept), "M6C"))
	}
	term := typed(entry("term", reconcile.ActionTerminated, reason("reaper.expiry", "expired")), "S9I")
	term.SetTerminatedAt(&at)
	term.SetRequestID("req-1")
	term.SetMarks([]reconcile.PolicyMark{{Policy: "reaper.expiry", MarkedAt: at, DueAt: at}})
	marked := typed(entry("marked", reconcile.ActionMarked, reason("reaper.idle", "idle")), "M6C")
	marked.SetMarkedAt(&at)
	marked.SetDueAt(&due)
	marked.SetMarks([]reconcile.PolicyMark{{Policy: "reaper.idle", MarkedAt: at, DueAt: due, New: true}})
	marked.Traffic = &policy.Traffic{WindowSeconds: 86400, Samples: 3, Complete: true, InP95Bps: 5}
	would := typed(entry("would", reconcile.ActionWouldTerminate, reason("reaper.idle", "idle")), "S9I")
	would.SetWarn([]policy.Reason{reason("reaper.idle", "soon")})
	failed := typed(entry("failed", reconcile.ActionFailed, reason("reaper.expiry", "expired")), "X1")
	failed.SetErrorText("boom")
	failed.SetRequestID("req-2")
	skipped := entry("skipped", reconcile.ActionSkipped)
	skipped.SkipReason, skipped.TrafficPending = reconcile.SkipSubscription, true
	skipped.Instance.ChargeType = zen.ChargePrepaid
	exempt := entry("exempt", reconcile.ActionExempt)
	exempt.SetExempt([]policy.Reason{reason("reaper.expiry", "owner asked")})
	entries = append(entries, term, marked, would, failed, skipped, exempt)
	costs := mapPricer{
		"term":   {Monthly: &bill, Source: pricing.SourceBill},
		"marked": {Source: pricing.SourceUnknown},
		"would":  {Source: ""}, // a cost without a source: derived as if absent
	}
	res := result(reconcile.StatusOK, entries...)
	res.DryRun = true
	rec := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: t.TempDir(), Pricer: costs})
	run, err := rec.Record(t.Context(), res)
	if err != nil {
		t.Fatal(err)
	}
	if run.Report.Instances != nil || run.Report.Source == nil {
		t.Fatal("the recorded report holds an array of rows")
	}

	// The same document as one array, built and finalized as Record did before it had rows.
	ref := *run.Report
	ref.Source, ref.Instances = nil, nil
	prices := cfg.Pricing.TypePrices()
	for i := range res.Entries {
		ref.Instances = append(ref.Instances, reportInstance(&res.Entries[i]))
	}
	ref.Finalize(prices)
	for i := range ref.Instances {
		if c, ok := costs[ref.Instances[i].ID]; ok {
			ref.Instances[i].MonthlyCost, ref.Instances[i].CostSource = c.Monthly, string(c.Source)
		}
	}
	ref.Finalize(prices)

	if got := run.Report.Materialized(); !reflect.DeepEqual(got, ref.Instances) {
		t.Error("the rows differ from the array's")
	}
	for _, f := range []struct {
		name string
		got  any
		want any
	}{
		{"summary", run.Report.Summary, ref.Summary}, {"savings", run.Report.Savings, ref.Savings},
		{"projected", run.Report.ProjectedMonthlySavings, ref.ProjectedMonthlySavings},
		{"realized", run.Report.RealizedSavings, ref.RealizedSavings},
		{"unknown", run.Report.UnknownCosts, ref.UnknownCosts},
		{"events", Events(run.Report, true), Events(&ref, true)},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: rows %+v, array %+v", f.name, f.got, f.want)
		}
	}
	if run.Report.RealizedSavings != bill || run.Report.Summary.ByAction[report.ActionKept] != 2500 {
		t.Errorf("realized %v, kept %d: the fixture does not exercise what it should", run.Report.RealizedSavings, run.Report.Summary.ByAction[report.ActionKept])
	}
	refDir, err := report.WriteWith(t.TempDir(), &ref, Formats(cfg.Report.Formats),
		report.Options{Compress: cfg.Report.Compress, TrendRuns: cfg.Report.TrendRuns})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.json", "report.csv", "report.md", "report.html"} {
		got, err := os.ReadFile(filepath.Join(run.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(refDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs between the rows and the array (%d and %d bytes)", name, len(got), len(want))
		}
	}
}

// slicePricer returns fixed costs, whatever it is asked.
type slicePricer []pricing.Cost

func (p slicePricer) Costs(context.Context, []pricing.Instance) ([]pricing.Cost, []string) {
	return p, nil
}

// TestRowCostsByPosition: row i shows the pricer's costs[i], also when two entries share an ID;
// costs that are not one for each entry are not used at all (no row gets another's figure), and
// a warning says so.
func TestRowCostsByPosition(t *testing.T) {
	cfg := testConfig(t)
	one, two := money.Micros(1*money.Unit), money.Micros(2*money.Unit)
	entries := []reconcile.Entry{entry("a", reconcile.ActionKept), entry("a", reconcile.ActionKept), entry("b", reconcile.ActionKept)}
	costs := slicePricer{{Monthly: &one, Source: pricing.SourceList}, {Monthly: &two, Source: pricing.SourceBill}, {Source: pricing.SourceUnknown}}
	for _, tt := range []struct {
		name  string
		costs slicePricer
		want  []string
		warn  string
	}{
		{"aligned", costs, []string{"list 1.000000", "bill 2.000000", "unknown <nil>"}, ""},
		{"one short", costs[:2], []string{"unknown <nil>", "unknown <nil>", "unknown <nil>"}, "costs not used: the pricer returned 2 for 3 instances"},
		{"none", nil, []string{"unknown <nil>", "unknown <nil>", "unknown <nil>"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: t.TempDir(), Pricer: tt.costs})
			run, err := rec.Record(t.Context(), result(reconcile.StatusOK, entries...))
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				in := run.Report.Row(i)
				if got := fmt.Sprintf("%s %v", in.CostSource, in.MonthlyCost); got != want {
					t.Errorf("row %d (%s): %s, want %s", i, in.ID, got, want)
				}
			}
			var warns []string
			if tt.warn != "" {
				warns = []string{tt.warn}
			}
			if !reflect.DeepEqual(run.Report.PricingWarnings, warns) {
				t.Errorf("warnings %q, want %q", run.Report.PricingWarnings, warns)
			}
		})
	}
}
