package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// actionOrder is the order actions are listed in summaries.
var actionOrder = []reconcile.Action{
	reconcile.ActionTerminated, reconcile.ActionWouldTerminate, reconcile.ActionFailed, reconcile.ActionUnconfirmed, reconcile.ActionBlocked,
	reconcile.ActionMarked, reconcile.ActionSkipped, reconcile.ActionProtected, reconcile.ActionExempt, reconcile.ActionKept,
}

// printSummary writes the short table `run --once` and `plan` print: the outcome, counts per
// action, and the candidates with their reasons and due times. The cycle's error is not repeated
// here: the command prints it once, on stderr.
func printSummary(w io.Writer, cr *cycleRun) {
	res := cr.res
	mode := "acting"
	if res.DryRun {
		mode = "dry-run"
	}
	fmt.Fprintf(w, "run %s (%s, %s): %s, %d instances in inventory\n", res.RunID, res.Command, mode, res.Status, res.InventorySize)
	if res.Block != nil {
		fmt.Fprintf(w, "BLOCKED by %s: %s. Nothing was terminated.\n", inert.Text(res.Block.Limit), inert.Text(res.Block.Message))
	}
	counts := res.Count()
	var parts []string
	for _, a := range actionOrder {
		if n := counts[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", a, n))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "actions: %s\n", strings.Join(parts, ", "))
	}
	printCandidates(w, res)
	if cr.reportDir != "" {
		fmt.Fprintf(w, "report: %s\n", cr.reportDir)
		if html := filepath.Join(cr.reportDir, report.FileName("html")); fileExists(html) {
			fmt.Fprintf(w, "html:   %s\n", html)
		}
	}
}

func printCandidates(w io.Writer, res *reconcile.Result) {
	var rows []reconcile.Entry
	for _, e := range res.Entries {
		if isCandidate(e.Action) {
			rows = append(rows, e)
		}
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no candidates")
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tID\tNAME\tZONE\tDUE\tREASONS")
	for _, e := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Action, clip(e.Instance.ID, 24), clip(e.Instance.Name, 32),
			clip(e.Instance.Zone, 16), due(e, res.FinishedAt), clip(entryReasons(e), 200))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func due(e reconcile.Entry, now time.Time) string {
	switch {
	case e.Action == reconcile.ActionTerminated:
		return "done " + clip(e.RequestID, 48)
	case e.Action == reconcile.ActionFailed:
		return "failed: " + clip(e.Error, 60)
	case e.Action == reconcile.ActionUnconfirmed:
		return "did not take " + e.RequestID
	case e.DueAt == nil:
		return "-"
	case !e.DueAt.After(now):
		return "now"
	}
	return e.DueAt.UTC().Format(time.RFC3339) + " (in " + e.DueAt.Sub(now).Round(time.Minute).String() + ")"
}

func entryReasons(e reconcile.Entry) string {
	out := make([]string, len(e.Terminate))
	for i, r := range e.Terminate {
		out[i] = strings.TrimPrefix(r.Policy, "reaper.") + ": " + r.Reason
	}
	return strings.Join(out, "; ")
}

// clip renders s for a table cell: one line, inert (control, bidi and invisible characters shown
// as escapes, see internal/inert), at most n runes. Every value from the fleet, the API or a report
// goes through it (or inert.Text) before it reaches the terminal.
func clip(s string, n int) string {
	s = inert.Text(strings.Join(strings.Fields(s), " "))
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// inertLines is s with each line rendered by inert.Text: a multi-line message (config errors)
// keeps its lines, and nothing else in it can act on the terminal.
func inertLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = inert.Text(l)
	}
	return strings.Join(lines, "\n")
}
