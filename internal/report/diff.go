package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/money"
)

// Delta is what changed between two runs. A candidate here is an open candidate (IsOpenCandidate:
// would_terminate, marked, blocked or failed).
type Delta struct {
	From, To     string    // run IDs
	FromAt, ToAt time.Time // their start times
	// NewCandidates are open candidates in To that were not open candidates in From.
	NewCandidates []Change
	// ResolvedCandidates were open candidates in From and, in To, are neither open candidates nor
	// terminated: kept, exempt, protected, skipped, or gone from the inventory.
	ResolvedCandidates []Change
	// TerminatedSince are terminated in To (and were not already terminated in From).
	TerminatedSince []Change
	// StillCandidates counts instances that are open candidates in both runs.
	StillCandidates int
	// Currency labels the money of Transitions: To's currency, or From's when To states none (a
	// report older than costs). FromCurrency is From's, kept to say when the two differ.
	Currency, FromCurrency string
	// Transitions counts every instance whose action changed between the runs, per (Before,
	// After) pair, including appeared ("" before) and gone ("" after), in lifecycle order.
	Transitions []Transition
}

// Transition is one (Before, After) pair of a Delta and the monthly cost its instances carry.
// Cost adds the known costs exactly (money.Micros); Unknown counts the instances whose cost is
// unknown (no monthly_cost, a report older than costs, or a cost in another currency), which never
// count as 0.
type Transition struct {
	Before, After string // "" is (new) before and (gone) after
	Count         int
	Cost          money.Micros
	Unknown       int
}

// Change is one instance in a Delta: its entry from the run that describes it best (To, or From
// when it is gone) and its action in each run ("" when absent from that run).
type Change struct {
	Instance Instance
	Before   string
	After    string
}

// Diff compares run a (older) with run b (newer). Instances are matched by ID; each list is sorted
// by ID.
func Diff(a, b *Run) Delta {
	d := Delta{From: a.RunID, To: b.RunID, FromAt: a.StartedAt, ToAt: b.StartedAt}
	as, bs := a.Materialized(), b.Materialized()
	before := byID(as)
	after := byID(bs)
	d.Currency, d.FromCurrency = b.Currency, a.Currency
	if d.Currency == "" {
		d.Currency = a.Currency
	}
	moved := map[[2]string]*Transition{}
	move := func(before, after string, in Instance, currency string) {
		if before == after {
			return
		}
		k := [2]string{before, after}
		t := moved[k]
		if t == nil {
			t = &Transition{Before: before, After: after}
			moved[k] = t
		}
		t.Count++
		if in.MonthlyCost == nil || in.CostSource == CostUnknown || currency != d.Currency {
			t.Unknown++
			return
		}
		t.Cost += *in.MonthlyCost
	}
	for _, in := range bs {
		old, seen := before[in.ID]
		change := Change{Instance: in, Before: old.Action, After: in.Action}
		if !seen {
			change.Before = ""
		}
		move(change.Before, change.After, in, b.Currency)
		switch {
		case in.Action == ActionTerminated && old.Action != ActionTerminated:
			d.TerminatedSince = append(d.TerminatedSince, change)
		case IsOpenCandidate(in.Action) && IsOpenCandidate(old.Action):
			d.StillCandidates++
		case IsOpenCandidate(in.Action):
			d.NewCandidates = append(d.NewCandidates, change)
		case IsOpenCandidate(old.Action):
			d.ResolvedCandidates = append(d.ResolvedCandidates, change)
		}
	}
	for _, in := range as {
		if _, ok := after[in.ID]; ok {
			continue
		}
		move(in.Action, "", in, a.Currency)
		if IsOpenCandidate(in.Action) {
			d.ResolvedCandidates = append(d.ResolvedCandidates, Change{Instance: in, Before: in.Action})
		}
	}
	for _, t := range moved {
		d.Transitions = append(d.Transitions, *t)
	}
	slices.SortFunc(d.Transitions, func(x, y Transition) int {
		return cmp.Or(cmp.Compare(stage(x.Before, false), stage(y.Before, false)),
			cmp.Compare(stage(x.After, true), stage(y.After, true)),
			strings.Compare(x.Before, y.Before), strings.Compare(x.After, y.After))
	})
	for _, list := range []*[]Change{&d.NewCandidates, &d.ResolvedCandidates, &d.TerminatedSince} {
		slices.SortFunc(*list, func(x, y Change) int { return strings.Compare(x.Instance.ID, y.Instance.ID) })
	}
	return d
}

// lifecycle orders actions the way an instance moves through them, so transitions read from the
// first step (kept -> marked) to the last (would_terminate -> terminated).
var lifecycle = []string{
	ActionKept, ActionExempt, ActionProtected, ActionSkipped, ActionMarked, ActionWouldTerminate,
	ActionBlocked, ActionFailed, ActionUnconfirmed, ActionTerminated,
}

// stage ranks an action in lifecycle: "" is (new) before everything as a Before and (gone) after
// everything as an After; an action this reaper does not know (a newer report) comes after the
// known ones.
func stage(action string, isAfter bool) int {
	if action == "" {
		if isAfter {
			return len(lifecycle) + 1
		}
		return -1
	}
	if i := slices.Index(lifecycle, action); i >= 0 {
		return i
	}
	return len(lifecycle)
}

func byID(instances []Instance) map[string]Instance {
	m := make(map[string]Instance, len(instances))
	for _, in := range instances {
		m[in.ID] = in
	}
	return m
}

// WriteDiff writes d as text for a terminal.
func WriteDiff(w io.Writer, d Delta) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "from %s (%s)\n  to %s (%s)\n\n", oneLine(d.From), fmtTime(&d.FromAt), oneLine(d.To), fmtTime(&d.ToAt))
	writeTransitions(bw, d)
	section(bw, "new candidates", "+", d.NewCandidates)
	section(bw, "resolved candidates", "-", d.ResolvedCandidates)
	section(bw, "terminated since", "x", d.TerminatedSince)
	fmt.Fprintf(bw, "still candidates: %d\n", d.StillCandidates)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

func section(w io.Writer, title, mark string, changes []Change) {
	fmt.Fprintf(w, "%s: %d\n", title, len(changes))
	for _, c := range changes {
		in := c.Instance
		fmt.Fprintf(w, "  %s %s %s [%s %s] %s -> %s\n", mark, oneLine(in.ID), quoteName(in.Name),
			oneLine(in.Zone), oneLine(in.Type), orDash(c.Before), orGone(c.After))
		for _, r := range in.Reasons {
			fmt.Fprintf(w, "      %s: %s\n", oneLine(r.Policy), oneLine(r.Reason))
		}
		if in.RequestID != "" {
			fmt.Fprintf(w, "      request %s\n", oneLine(in.RequestID))
		}
		if in.Error != "" {
			fmt.Fprintf(w, "      error: %s\n", oneLine(in.Error))
		}
	}
	fmt.Fprintln(w)
}

// writeTransitions writes one line per transition: its count and the monthly cost it moves, the
// known costs summed exactly and the unknown ones counted apart ("unknown" when none is known).
func writeTransitions(w io.Writer, d Delta) {
	unit := ""
	if d.Currency != "" {
		unit = " in " + oneLine(d.Currency)
	}
	changed := 0
	for _, t := range d.Transitions {
		changed += t.Count
	}
	fmt.Fprintf(w, "transitions: %d instances changed (per transition: count, monthly cost%s)\n", changed, unit)
	if d.FromCurrency != "" && d.FromCurrency != d.Currency {
		fmt.Fprintf(w, "  note: %s states costs in %s, %s in %s; costs of gone instances count as unknown\n",
			oneLine(d.From), oneLine(d.FromCurrency), oneLine(d.To), oneLine(d.Currency))
	}
	for _, t := range d.Transitions {
		cost := "unknown"
		if t.Unknown < t.Count {
			cost = fmtMicros(t.Cost)
			if t.Unknown > 0 {
				cost += fmt.Sprintf(" + %d unknown", t.Unknown)
			}
		}
		fmt.Fprintf(w, "  %s -> %s: %d, %s\n", orDash(oneLine(t.Before)), orGone(oneLine(t.After)), t.Count, cost)
	}
	fmt.Fprintln(w)
}

// fmtMicros writes an amount for people with two decimals and thousands separators, from the
// integer amount (no float on the way): 1,234.50.
func fmtMicros(m money.Micros) string { return groupThousands(m.Decimal()) }

func orDash(action string) string {
	if action == "" {
		return "(new)"
	}
	return action
}

func orGone(action string) string {
	if action == "" {
		return "(gone)"
	}
	return action
}

func quoteName(s string) string {
	if s == "" {
		return `""`
	}
	return fmt.Sprintf("%q", s)
}

// oneLine renders fleet data inert (inert.Text): control, bidi and invisible characters become
// visible escapes, so fleet data cannot rewrite the terminal or break a line.
func oneLine(s string) string { return inert.Text(s) }
