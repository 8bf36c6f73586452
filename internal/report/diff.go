package report

import (
	"bufio"
	"fmt"
	"github.com/reaper-bmc/reaper/internal/inert"
	"io"
	"slices"
	"strings"
	"time"
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
	before := byID(a.Instances)
	after := byID(b.Instances)
	for _, in := range b.Instances {
		old, seen := before[in.ID]
		change := Change{Instance: in, Before: old.Action, After: in.Action}
		if !seen {
			change.Before = ""
		}
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
	for _, in := range a.Instances {
		if _, ok := after[in.ID]; !ok && IsOpenCandidate(in.Action) {
			d.ResolvedCandidates = append(d.ResolvedCandidates, Change{Instance: in, Before: in.Action})
		}
	}
	for _, list := range []*[]Change{&d.NewCandidates, &d.ResolvedCandidates, &d.TerminatedSince} {
		slices.SortFunc(*list, func(x, y Change) int { return strings.Compare(x.Instance.ID, y.Instance.ID) })
	}
	return d
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
