package record

import (
	"fmt"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// Report turns a cycle's result into the report document. The outcome shown is the outcome
// observed: an entry says terminated only when the API accepted the call and a describe confirmed
// it took. The summary, the savings and the recycle deadlines are left to report.Finalize, which
// alone derives them. The document holds no array of rows: each row is built from its entry when
// it is read (entryRows), so the record step does not hold the entries and the rows at once. The
// entries must not change while the document is in use.
func Report(res *reconcile.Result, cfg *config.Config, p Policies) *report.Run {
	r, _ := buildReport(res, cfg, p)
	return r
}

// buildReport is Report, and the rows the document reads, for the pricer's costs.
func buildReport(res *reconcile.Result, cfg *config.Config, p Policies) (*report.Run, *entryRows) {
	r := &report.Run{
		SchemaVersion: report.SchemaVersion,
		RunID:         res.RunID,
		Seq:           res.Seq,
		Command:       res.Command,
		PlanRunID:     res.PlanRunID,
		StartedAt:     res.StartedAt,
		FinishedAt:    res.FinishedAt,
		DryRun:        res.DryRun,
		Mode:          res.Permissions.Mode,
		Result:        string(res.Status),
		ConfigDigest:  cfg.Digest(),
		PolicyDigest:  p.Digest(),
		Policies:      p.Packages(),
		InventorySize: res.InventorySize,
		Currency:      cfg.Pricing.Currency,
	}
	if res.Err != nil {
		r.Error = res.Err.Error()
	}
	if b := res.Block; b != nil {
		r.Blocked = &report.Block{Limit: b.Limit, Value: b.Value, Observed: b.Observed, Due: b.Due, Message: b.Message}
	}
	rows := &entryRows{entries: res.Entries}
	r.SetRows(rows)
	r.Finalize(cfg.Pricing.TypePrices())
	return r, rows
}

// entryRows is a report's rows as a view of the cycle's entries (report.Rows): row i is built
// from entry i, with the cost the pricer found for it, when it is read.
type entryRows struct {
	entries []reconcile.Entry
	// costs holds the pricer's cost of entry i, parallel to entries; nil until the run is priced.
	costs []pricing.Cost
}

func (s *entryRows) Len() int            { return len(s.entries) }
func (s *entryRows) Action(i int) string { return string(s.entries[i].Action) }

func (s *entryRows) Row(i int) report.Instance {
	in := reportInstance(&s.entries[i])
	if s.costs != nil {
		if c := s.costs[i]; c.Source != "" {
			in.MonthlyCost, in.CostSource = c.Monthly, string(c.Source)
		}
	}
	return in
}

// setCosts keeps the pricer's costs for the rows as they are (costs[i] is entry i's; no copy).
// Costs that are not one for each entry cannot be matched to them: none is used.
func (s *entryRows) setCosts(costs []pricing.Cost) error {
	if costs != nil && len(costs) != len(s.entries) {
		s.costs = nil
		return fmt.Errorf("costs not used: the pricer returned %d for %d instances", len(costs), len(s.entries))
	}
	s.costs = costs
	return nil
}

func reportInstance(e *reconcile.Entry) report.Instance {
	in := e.Instance
	out := report.Instance{
		ID: in.ID, Name: in.Name, Zone: in.Zone, Type: in.Type, Status: string(in.Status),
		ChargeType: string(in.ChargeType), Tags: report.Tags(in.TagList), Action: string(e.Action),
		Reasons: reasons(e.Terminate()), Exemptions: reasons(e.Exempt()), Warnings: reasons(e.Warn()),
		SkipReason: e.SkipReason, MarkedAt: e.MarkedAt(), DueAt: e.DueAt(), RequestID: e.RequestID(),
		Error: e.ErrorText(), TerminatedAt: e.TerminatedAt(), Marks: marks(e.Marks()),
	}
	if e.TrafficPending {
		out.TrafficStatus = report.TrafficPending
	}
	if t := e.Traffic; t != nil {
		out.Traffic = &report.Traffic{
			WindowSeconds: t.WindowSeconds, Samples: t.Samples, Complete: t.Complete,
			InP95Bps: t.InP95Bps, OutP95Bps: t.OutP95Bps, InAvgBps: t.InAvgBps, OutAvgBps: t.OutAvgBps,
		}
	}
	return out
}

func reasons(rs []policy.Reason) []report.Reason {
	out := make([]report.Reason, len(rs))
	for i, r := range rs {
		out[i] = report.Reason{Policy: r.Policy, Reason: r.Reason}
	}
	return out
}

func marks(ms []reconcile.PolicyMark) []report.Mark {
	out := make([]report.Mark, len(ms))
	for i, m := range ms {
		out[i] = report.Mark{Policy: m.Policy, MarkedAt: m.MarkedAt, DueAt: m.DueAt, New: m.New}
	}
	return out
}
