package record

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

// Summary writes the short table `run --once` and `plan` print: the outcome, counts per action
// (in the order of reconcile.Actions, as in the reports), and the candidates with their reasons
// and due times. The cycle's error is not repeated here: the command prints it once, on stderr.
// Every value from the fleet, the API or a report is rendered inert (see internal/inert).
func Summary(w io.Writer, run *Run) {
	res := run.Result
	mode := res.Permissions.Mode
	if res.Command == reconcile.CommandPlan {
		mode += ", writes nothing"
	}
	fmt.Fprintf(w, "run %s (%s, %s): %s, %d instances in inventory\n", res.RunID, res.Command, mode, res.Status, res.InventorySize)
	if res.Block != nil {
		fmt.Fprintf(w, "BLOCKED by %s: %s. Nothing was terminated.\n", inert.Text(res.Block.Limit), inert.Text(res.Block.Message))
	}
	if parts := actionCounts(res); len(parts) > 0 {
		fmt.Fprintf(w, "actions: %s\n", strings.Join(parts, ", "))
	}
	candidates(w, res)
	if line := trafficLine(run); line != "" {
		fmt.Fprintln(w, line)
	}
	if line := savingsLine(run.Report); line != "" {
		fmt.Fprintln(w, line)
	}
	if run.Dir != "" {
		fmt.Fprintf(w, "report: %s\n", run.Dir)
		if html := filepath.Join(run.Dir, report.FileName(report.FormatHTML)); fileExists(html) {
			fmt.Fprintf(w, "html:   %s\n", html)
		}
	}
}

// actionCounts is "action n" for every action that occurred, in the order of reconcile.Actions.
func actionCounts(res *reconcile.Result) []string {
	counts := res.Count()
	var parts []string
	for _, a := range reconcile.Actions() {
		if n := counts[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", a, n))
		}
	}
	return parts
}

func candidates(w io.Writer, res *reconcile.Result) {
	var rows []reconcile.Entry
	for _, e := range res.Entries {
		if e.Action.IsCandidate() {
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Action, inert.Clip(e.Instance.ID, 24), inert.Clip(e.Instance.Name, 32),
			inert.Clip(e.Instance.Zone, 16), due(e, res.FinishedAt), inert.Clip(entryReasons(e), 200))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// due is the DUE cell: what became of a candidate the cycle acted on, else when it is due.
func due(e reconcile.Entry, now time.Time) string {
	switch {
	case e.Action == reconcile.ActionTerminated:
		return "done " + inert.Clip(e.RequestID(), 48)
	case e.Action == reconcile.ActionFailed:
		return "failed: " + inert.Clip(e.ErrorText(), 60)
	case e.Action == reconcile.ActionUnconfirmed:
		return "did not take " + inert.Clip(e.RequestID(), 48)
	case e.DueAt() == nil:
		return "-"
	case !e.DueAt().After(now):
		return "now"
	}
	return e.DueAt().UTC().Format(time.RFC3339) + " (in " + e.DueAt().Sub(now).Round(time.Minute).String() + ")"
}

func entryReasons(e reconcile.Entry) string {
	out := make([]string, len(e.Terminate()))
	for i, r := range e.Terminate() {
		out[i] = strings.TrimPrefix(r.Policy, "reaper.") + ": " + r.Reason
	}
	return strings.Join(out, "; ")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// savingsLine is the money of the run in one line: projected and realized monthly savings, the
// cumulative realized savings, and how many due or terminated instances have no known cost.
func savingsLine(r *report.Run) string {
	if r == nil {
		return ""
	}
	cur := inert.Text(r.Currency)
	line := fmt.Sprintf("savings (%s a month): projected %s, realized %s", cur,
		r.ProjectedMonthlySavings.Decimal(), r.RealizedSavings.Decimal())
	if c := r.CumulativeRealizedSavings; c != nil {
		line += fmt.Sprintf(", cumulative realized %s", c.Total.Decimal())
	}
	if r.UnknownCosts > 0 {
		line += fmt.Sprintf(" (%d with unknown cost, not counted)", r.UnknownCosts)
	}
	if n := len(r.PricingWarnings); n > 0 {
		line += fmt.Sprintf("; %d pricing warning(s) in the report", n)
	}
	return line
}

// trafficLine says how many instances' traffic is pending, or "" when none is.
func trafficLine(run *Run) string {
	if run.Report != nil {
		return run.Report.TrafficPendingText()
	}
	n := 0
	for _, e := range run.Result.Entries {
		if e.TrafficPending {
			n++
		}
	}
	return (&report.Run{Summary: report.Summary{TrafficPending: n}}).TrafficPendingText()
}
