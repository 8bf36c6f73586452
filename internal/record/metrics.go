package record

import (
	"github.com/reaper-bmc/reaper/internal/money"
	"slices"

	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// refusedPrefix starts the termination result of a call the API refused as expected: the skip
// reason follows (refused_commitment).
const refusedPrefix = "refused_"

// terminationResults are the actions that are the outcome of a TerminateInstance call.
var terminationResults = []reconcile.Action{reconcile.ActionTerminated, reconcile.ActionUnconfirmed, reconcile.ActionFailed}

// NewMetrics returns the daemon's metrics with reconcile's vocabulary declared: every cycle
// status, termination outcome and safety limit has its series from the start, at zero.
func NewMetrics() *metrics.Metrics {
	m := metrics.New()
	m.Declare(Vocabulary())
	return m
}

// Vocabulary is reconcile's vocabulary as metric label values.
func Vocabulary() metrics.Vocabulary {
	var v metrics.Vocabulary
	for _, s := range reconcile.Statuses() {
		v.CycleResults = append(v.CycleResults, string(s))
	}
	for _, a := range terminationResults {
		v.TerminationResults = append(v.TerminationResults, string(a))
	}
	v.BlockedLimits = reconcile.Limits()
	v.TagWriteResults = reconcile.TagWrites()
	return v
}

// Observe derives the metrics of a cycle from its result and its report; m may be nil.
// Candidates by policy are the report's by_policy (instances per policy), so the metric and the
// report always agree. A cycle is a success when it ran to the end and no termination failed.
func Observe(m *metrics.Metrics, res *reconcile.Result, rep *report.Run) {
	if m == nil {
		return
	}
	m.ObserveCycle(string(res.Status), res.FinishedAt.Sub(res.StartedAt), Succeeded(res), res.FinishedAt)
	if res.Block != nil {
		m.AddBlocked(res.Block.Limit)
	}
	m.AddTrafficCalls(res.TrafficCalls)
	for _, w := range res.TagWrites {
		m.AddTagWrite(w.Result)
	}
	observeSavings(m, rep)
	// An apply lists no inventory, but its calls are as real as a cycle's (a daemon applies
	// queued approvals): they are counted; the fleet gauges are left to the cycles.
	if !res.InventoryComplete && res.Command != reconcile.CommandApply {
		return
	}
	byStatus := map[string]int{}
	for _, e := range res.Entries {
		byStatus[string(e.Instance.Status)]++
		switch {
		case slices.Contains(terminationResults, e.Action):
			m.AddTermination(string(e.Action))
		case e.Action == reconcile.ActionSkipped && e.RequestID() != "": // the API refused the call
			m.AddTermination(refusedPrefix + e.SkipReason)
		}
	}
	if !res.InventoryComplete {
		return
	}
	m.SetInstances(byStatus)
	m.SetCandidates(rep.Summary.ByPolicy)
	m.SetTrafficPending(rep.Summary.TrafficPending)
}

// Succeeded reports whether a cycle counts as a success (reaper_last_success_timestamp_seconds,
// /readyz): it ran to the end and no termination failed or went unconfirmed.
func Succeeded(res *reconcile.Result) bool {
	return res.Status == reconcile.StatusOK && res.Failures() == 0
}

// observeSavings sets reaper_projected_savings_monthly and adds this run's confirmed terminations
// to reaper_realized_savings_total, by the policy the ledger credits.
func observeSavings(m *metrics.Metrics, rep *report.Run) {
	m.SetProjectedSavings(rep.Currency, units(rep.ProjectedMonthlySavings))
	for i := range rep.Len() {
		if rep.Action(i) != report.ActionTerminated {
			continue
		}
		if in := rep.Row(i); in.MonthlyCost != nil {
			m.AddRealizedSavings(rep.Currency, policyOf(in), units(*in.MonthlyCost))
		}
	}
}

// units is an amount as a float of whole units, for a metric sample.
func units(m money.Micros) float64 { return float64(m) / float64(money.Unit) }
