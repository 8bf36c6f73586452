package record

import (
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/reconcile"
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
	typed := func(e reconcile.Entry, typ string) reconcile.Entry {
		e.Instance.Type = typ
		e.Marks = []reconcile.PolicyMark{{Policy: "reaper.idle"}}
		return e
	}
	cycle := func(entries ...reconcile.Entry) (projected, realized, cumulative string) {
		t.Helper()
		store, err := state.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		rec := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: t.TempDir(),
			Pricer: pricing.New(pricing.Config{Override: cfg.Pricing.Monthly, Refresh: time.Hour}, nil, store, func() time.Time { return t0 }, nil),
			Ledger: pricing.NewLedger(store)})
		run, err := rec.Record(t.Context(), result(reconcile.StatusOK, entries...))
		if err != nil {
			t.Fatal(err)
		}
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
	}
}

func overrideOf(p float64) config.Override { return config.Override{All: &p} }
