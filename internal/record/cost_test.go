package record

import (
	"context"
	"fmt"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
)

// TestSavingsAcrossCycles: an unconfirmed termination saves nothing; it counts once confirmed in a
// later cycle; a termination seen twice counts once; the cumulative figure survives a restart.
func TestSavingsAcrossCycles(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t)
	cfg.Pricing.Currency = "EUR"
	cfg.Pricing.Overrides = map[string]config.Override{}
	for typ, p := range map[string]float64{"S9I": 100, "M6C": 50.25} {
		cfg.Pricing.Overrides[typ] = overrideOf(p)
	}
	m := metrics.New()
	var last *Run
	typed := func(e reconcile.Entry, typ string) reconcile.Entry {
		e.Instance.Type = typ
		e.SetMarks([]reconcile.PolicyMark{{Policy: "reaper.idle"}})
		return e
	}
	cycle := func(entries ...reconcile.Entry) (projected, realized, cumulative string) {
		t.Helper()
		store, err := state.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		rec := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: t.TempDir(), Metrics: m,
			Pricer: pricing.New(pricing.Config{Override: cfg.Pricing.Monthly, Refresh: time.Hour}, nil, store, func() time.Time { return t0 }, nil),
			Ledger: store})
		run, err := rec.Record(t.Context(), result(reconcile.StatusOK, entries...))
		if err != nil {
			t.Fatal(err)
		}
		last = run
		r := run.Report
		if r.Currency != "EUR" || r.CumulativeRealizedSavings == nil {
			t.Fatalf("currency %q, cumulative %v", r.Currency, r.CumulativeRealizedSavings)
		}
		return r.ProjectedMonthlySavings.String(), r.RealizedSavings.String(), r.CumulativeRealizedSavings.Total.String()
	}
	term := reconcile.ActionTerminated
	steps := []struct {
		entries                  []reconcile.Entry
		projected, realized, cum string
	}{
		{[]reconcile.Entry{typed(entry("a", term), "S9I"), typed(entry("b", reconcile.ActionUnconfirmed), "M6C"),
			typed(entry("c", reconcile.ActionWouldTerminate), "M6C")}, "50.250000", "100.000000", "100.000000"},
		{[]reconcile.Entry{typed(entry("b", term), "M6C"), typed(entry("c", reconcile.ActionWouldTerminate), "M6C")},
			"50.250000", "50.250000", "150.250000"},
		{[]reconcile.Entry{typed(entry("b", term), "M6C")}, "0.000000", "50.250000", "150.250000"}, // b again: counted once
	}
	for i, s := range steps {
		p, r, c := cycle(s.entries...)
		if p != s.projected || r != s.realized || c != s.cum {
			t.Errorf("cycle %d: projected %s realized %s cumulative %s; want %s %s %s", i+1, p, r, c, s.projected, s.realized, s.cum)
		}
		if i == 0 {
			var b strings.Builder
			Summary(&b, last)
			if want := "savings (EUR a month): projected 50.25, realized 100.00, cumulative realized 100.00\n"; !strings.Contains(b.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, b.String())
			}
			body := scrape(t, m)
			for _, want := range []string{`reaper_projected_savings_monthly{currency="EUR"} 50.25`,
				`reaper_realized_savings_total{currency="EUR",policy="reaper.idle"} 100`} {
				if !strings.Contains(body, want+"\n") {
					t.Errorf("metrics lack %s", want)
				}
			}
		}
	}
}

func overrideOf(p float64) config.Override { return config.Override{All: &p} }

type countingPricer struct{ calls int }

func (c *countingPricer) Costs(context.Context, []pricing.Instance) ([]pricing.Cost, []string) {
	c.calls++
	return nil, nil
}

// TestAbortedCycleReadsNoPrices: an aborted cycle (leadership lost, inventory untrusted) makes no
// pricing call; a completed one does.
func TestAbortedCycleReadsNoPrices(t *testing.T) {
	cfg := testConfig(t)
	for _, tt := range []struct {
		status reconcile.Status
		want   int
	}{{reconcile.StatusAborted, 0}, {reconcile.StatusOK, 1}} {
		p := &countingPricer{}
		rec := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: t.TempDir(), Pricer: p})
		if _, err := rec.Record(t.Context(), result(tt.status, entry("a", reconcile.ActionKept))); err != nil {
			t.Fatal(err)
		}
		if p.calls != tt.want {
			t.Errorf("%s: %d pricing calls, want %d", tt.status, p.calls, tt.want)
		}
	}
}

// TestCostSourcesAgree: the report's cost_source vocabulary is the pricing package's.
func TestCostSourcesAgree(t *testing.T) {
	got := []string{string(pricing.SourceOverride), string(pricing.SourceBill), string(pricing.SourceList), string(pricing.SourceUnknown)}
	if strings.Join(got, ",") != strings.Join(report.CostSources, ",") {
		t.Errorf("pricing sources %v, report.CostSources %v", got, report.CostSources)
	}
}

// TestSavingsNeverCountedTwice: a run recorded again after a crash (the ledger written, the report
// not) and a termination reported again in a later month, with another policy, leave the
// cumulative savings as the first count made them, per month and per policy.
func TestSavingsNeverCountedTwice(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t)
	cfg.Pricing.Overrides = map[string]config.Override{"S9I": overrideOf(100)}
	record := func(res *reconcile.Result) *report.Cumulative {
		t.Helper()
		store, err := state.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		rec := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: t.TempDir(),
			Pricer: pricing.New(pricing.Config{Override: cfg.Pricing.Monthly, Refresh: time.Hour}, nil, store, res.FinishedAt.UTC, nil),
			Ledger: store})
		run, err := rec.Record(t.Context(), res)
		if err != nil {
			t.Fatal(err)
		}
		return run.Report.CumulativeRealizedSavings
	}
	nov30 := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
	terminated := func(policy string, at time.Time) *reconcile.Result {
		e := entry("a", reconcile.ActionTerminated)
		e.Instance.Type = "S9I"
		e.SetMarks([]reconcile.PolicyMark{{Policy: policy}})
		e.SetTerminatedAt(&at)
		res := result(reconcile.StatusOK, e)
		res.StartedAt, res.FinishedAt = at, at.Add(time.Minute)
		return res
	}
	want := "total 100.000000, by month map[2026-11:100.000000], by policy map[reaper.idle:100.000000]"
	show := func(c *report.Cumulative) string {
		return fmt.Sprintf("total %s, by month %v, by policy %v", c.Total, c.ByMonth, c.ByPolicy)
	}
	for i, res := range []*reconcile.Result{
		terminated("reaper.idle", nov30),
		terminated("reaper.idle", nov30),                     // the same run again, after a restart
		terminated("reaper.expiry", nov30.Add(48*time.Hour)), // reported again in December
	} {
		if got := show(record(res)); got != want {
			t.Errorf("record %d: %s, want %s", i+1, got, want)
		}
	}
}
