package record

import (
	"context"
	"fmt"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
)

// Pricer finds the monthly cost of instances (internal/pricing): costs[i] is instances[i]'s. It
// never fails: what it could not price is unknown, and the warnings say why. Nil costs: none found.
type Pricer interface {
	Costs(ctx context.Context, instances []pricing.Instance) (costs []pricing.Cost, warnings []string)
}

// Ledger keeps the cumulative realized savings: state.Backend, on both backends. AddSaving counts
// an instance once, however often a run (or a run repeated after a crash) adds it.
type Ledger interface {
	AddSaving(s state.Saving) (added bool, err error)
	SavingsTotals() ([]state.SavingsTotal, error)
}

// price puts each instance's monthly cost into rep, adds the confirmed terminations to the
// ledger and reads the cumulative savings back. It runs after the cycle: nothing it finds can
// change a decision, and a failure costs figures and becomes a warning, never the run.
func (r *Recorder) price(ctx context.Context, res *reconcile.Result, rep *report.Run, rows *entryRows) {
	// An aborted cycle (no trusted inventory, or leadership lost) makes no further API call, not
	// even a read for prices: its costs come from the overrides alone.
	if r.opts.Pricer != nil && res.Status != reconcile.StatusAborted {
		// The input points at the entries' instances (pricing copies none of their fields).
		in := make([]pricing.Instance, len(res.Entries))
		for i, e := range res.Entries {
			in[i] = pricing.Instance{Instance: e.Instance, Bill: inSavings(e.Action)}
		}
		costs, warnings := r.opts.Pricer.Costs(ctx, in)
		rep.PricingWarnings = append(rep.PricingWarnings, warnings...)
		if err := rows.setCosts(costs); err != nil {
			rep.PricingWarnings = append(rep.PricingWarnings, err.Error())
		}
		rep.Finalize(r.opts.Config.Pricing.TypePrices())
	}
	if r.opts.Ledger == nil {
		return
	}
	failed := 0
	var first error
	for i := range rep.Len() {
		if rep.Action(i) != report.ActionTerminated {
			continue
		}
		in := rep.Row(i)
		if in.MonthlyCost == nil {
			continue
		}
		at := rep.FinishedAt
		if in.TerminatedAt != nil {
			at = *in.TerminatedAt
		}
		sv := state.Saving{InstanceID: in.ID, Policy: policyOf(in), Month: state.MonthOf(at), Amount: in.MonthlyCost}
		if _, err := r.opts.Ledger.AddSaving(sv); err != nil {
			if failed == 0 {
				first = err
			}
			failed++
		}
	}
	if failed > 0 {
		rep.PricingWarnings = append(rep.PricingWarnings,
			fmt.Sprintf("savings ledger: %d terminations not counted (first: %v)", failed, first))
	}
	totals, err := r.opts.Ledger.SavingsTotals()
	if err != nil {
		rep.PricingWarnings = append(rep.PricingWarnings, fmt.Sprintf("savings ledger not read: %v", err))
		return
	}
	c := &report.Cumulative{ByPolicy: map[string]money.Micros{}, ByMonth: map[string]money.Micros{}}
	for _, t := range totals {
		c.Total += t.Amount
		c.ByPolicy[t.Policy] += t.Amount
		c.ByMonth[fmt.Sprintf("%04d-%02d", t.Month/100, t.Month%100)] += t.Amount
	}
	rep.CumulativeRealizedSavings = c
}

// policyOf is the policy a termination is credited to: the deciding mark's, else the first
// terminate reason's.
func policyOf(in report.Instance) string {
	switch {
	case len(in.Marks) > 0:
		return in.Marks[0].Policy
	case len(in.Reasons) > 0:
		return in.Reasons[0].Policy
	}
	return "unknown"
}

// inSavings reports whether an instance's cost enters the savings (projected or realized): only
// those are worth a bill call each (one per instance and month, rate limited); the others are
// priced from overrides and list prices, one call per zone, type and charge type.
func inSavings(a reconcile.Action) bool {
	return a == reconcile.ActionWouldTerminate || a == reconcile.ActionBlocked || a == reconcile.ActionTerminated
}
