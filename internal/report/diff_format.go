package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

// DiffVersion is the version of the JSON `report diff --format json` writes. A field added keeps
// it; a field changed or removed raises it.
const DiffVersion = 1

// diffDoc is the JSON of a Delta. Amounts are exact decimals with six places (money.Micros, as
// report.json writes them) in Currency; an action absent from a run is null.
type diffDoc struct {
	DiffVersion        int              `json:"diff_version"`
	From               diffRun          `json:"from"`
	To                 diffRun          `json:"to"`
	Currency           string           `json:"currency"`
	FromCurrency       string           `json:"from_currency"`
	Changed            int              `json:"changed"`
	Transitions        []diffTransition `json:"transitions"`
	NewCandidates      []diffChange     `json:"new_candidates"`
	ResolvedCandidates []diffChange     `json:"resolved_candidates"`
	TerminatedSince    []diffChange     `json:"terminated_since"`
	StillCandidates    int              `json:"still_candidates"`
}

type diffRun struct {
	RunID     string    `json:"run_id"`
	StartedAt time.Time `json:"started_at"`
}

// diffTransition is a Transition: MonthlyCost is the sum of the known costs, null when no cost is
// known; UnknownCost counts the instances whose cost is unknown (never counted as 0).
type diffTransition struct {
	Before      *string       `json:"before"`
	After       *string       `json:"after"`
	Count       int           `json:"count"`
	MonthlyCost *money.Micros `json:"monthly_cost"`
	UnknownCost int           `json:"unknown_cost"`
}

type diffChange struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Zone        string        `json:"zone"`
	Type        string        `json:"type"`
	Before      *string       `json:"before"`
	After       *string       `json:"after"`
	MonthlyCost *money.Micros `json:"monthly_cost"`
	CostSource  string        `json:"cost_source"`
	Reasons     []Reason      `json:"reasons"`
	RequestID   string        `json:"request_id,omitempty"`
	Error       string        `json:"error,omitempty"`
}

func action(a string) *string {
	if a == "" {
		return nil
	}
	return &a
}

// transitionCost is the known cost of t, nil when none of its instances has a known cost.
func transitionCost(t Transition) *money.Micros {
	if t.Unknown >= t.Count {
		return nil
	}
	c := t.Cost
	return &c
}

func changedCount(d Delta) int {
	n := 0
	for _, t := range d.Transitions {
		n += t.Count
	}
	return n
}

func newDiffDoc(d Delta) diffDoc {
	doc := diffDoc{DiffVersion: DiffVersion, From: diffRun{d.From, d.FromAt}, To: diffRun{d.To, d.ToAt},
		Currency: d.Currency, FromCurrency: d.FromCurrency, Changed: changedCount(d), StillCandidates: d.StillCandidates,
		Transitions: []diffTransition{}}
	for _, t := range d.Transitions {
		doc.Transitions = append(doc.Transitions, diffTransition{Before: action(t.Before), After: action(t.After),
			Count: t.Count, MonthlyCost: transitionCost(t), UnknownCost: t.Unknown})
	}
	changes := func(cs []Change) []diffChange {
		out := []diffChange{}
		for _, c := range cs {
			in := c.Instance
			out = append(out, diffChange{ID: in.ID, Name: in.Name, Zone: in.Zone, Type: in.Type,
				Before: action(c.Before), After: action(c.After), MonthlyCost: in.MonthlyCost, CostSource: in.CostSource,
				Reasons: nonNil(in.Reasons), RequestID: in.RequestID, Error: in.Error})
		}
		return out
	}
	doc.NewCandidates = changes(d.NewCandidates)
	doc.ResolvedCandidates = changes(d.ResolvedCandidates)
	doc.TerminatedSince = changes(d.TerminatedSince)
	return doc
}

// WriteDiffJSON writes d as one indented JSON document (see diffDoc) for scripts.
func WriteDiffJSON(w io.Writer, d Delta) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(newDiffDoc(d)); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

// WriteDiffMarkdown writes d as Markdown, for a ticket or a chat: the transitions with their
// counts and the monthly cost they move, then the instances of each list. Fleet values are escaped
// as in report.md.
func WriteDiffMarkdown(w io.Writer, d Delta) error {
	bw := bufio.NewWriter(w)
	m := mdWriter{w: bw}
	m.f("# reaper diff\n\n")
	m.f("From %s (%s) to %s (%s).\n\n", md(d.From), md(fmtTime(&d.FromAt)), md(d.To), md(fmtTime(&d.ToAt)))
	unit := "unknown currency"
	if d.Currency != "" {
		unit = md(d.Currency)
	}
	m.f("## Transitions\n\n%d instances changed; monthly costs in %s.\n\n", changedCount(d), unit)
	if d.FromCurrency != "" && d.FromCurrency != d.Currency {
		m.f("Note: %s states costs in %s, %s in %s; costs of gone instances count as unknown.\n\n",
			md(d.From), md(d.FromCurrency), md(d.To), md(d.Currency))
	}
	if len(d.Transitions) > 0 {
		m.f("| Before | After | Instances | Monthly cost | Unknown cost |\n|---|---|---:|---:|---:|\n")
		for _, t := range d.Transitions {
			cost := "unknown"
			if c := transitionCost(t); c != nil {
				cost = fmtMicros(*c)
			}
			m.f("| %s | %s | %d | %s | %d |\n", md(orDash(t.Before)), md(orGone(t.After)), t.Count, cost, t.Unknown)
		}
		m.f("\n")
	}
	m.changes("New candidates", d.NewCandidates)
	m.changes("Resolved candidates", d.ResolvedCandidates)
	m.changes("Terminated since", d.TerminatedSince)
	m.f("Still candidates: %d\n", d.StillCandidates)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

func (m mdWriter) changes(title string, cs []Change) {
	m.f("## %s (%d)\n\n", title, len(cs))
	if len(cs) == 0 {
		return
	}
	m.f("| Instance | ID | Zone | Type | Before | After | Monthly cost | Reasons |\n|---|---|---|---|---|---|---:|---|\n")
	for _, c := range cs {
		in := c.Instance
		cost := "unknown"
		if in.MonthlyCost != nil && in.CostSource != CostUnknown {
			cost = fmtMicros(*in.MonthlyCost)
		}
		m.f("| %s | %s | %s | %s | %s | %s | %s | %s |\n", md(in.Name), md(in.ID), md(in.Zone), md(in.Type),
			md(orDash(c.Before)), md(orGone(c.After)), cost, md(joinReasons(in.Reasons)))
	}
	m.f("\n")
}
