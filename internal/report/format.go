package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Helpers shared by the Markdown and HTML renderers.

const humanTime = "2006-01-02 15:04 UTC"

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(humanTime)
}

// fmtMoney formats an amount with two decimals and thousands separators: 12,345.60.
func fmtMoney(f float64) string { return groupThousands(strconv.FormatFloat(f, 'f', 2, 64)) }

// groupThousands puts thousands separators into the whole part of a decimal string such as
// "-12345.60": -12,345.60. The one place both amount formats (float and micro-units) share.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// fmtBps formats a rate in bits per second with a decimal unit: 950 bps, 12.5 kbps, 3.2 Mbps.
func fmtBps(v int64) string {
	f := float64(v)
	for _, u := range []string{"bps", "kbps", "Mbps", "Gbps"} {
		if f < 1000 || u == "Gbps" {
			if u == "bps" {
				return fmt.Sprintf("%d bps", v)
			}
			return strconv.FormatFloat(f, 'f', 1, 64) + " " + u
		}
		f /= 1000
	}
	return ""
}

// fmtDuration formats a duration for people: 45s, 12m, 5h 20m, 3d 4h.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh %dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	default:
		days := int(d.Hours()) / 24
		if h := int(d.Hours()) % 24; h != 0 {
			return fmt.Sprintf("%dd %dh", days, h)
		}
		return fmt.Sprintf("%dd", days)
	}
}

// took is how long the run took, or "unknown" when the times are missing.
func took(r *Run) string {
	if r.StartedAt.IsZero() || r.FinishedAt.Before(r.StartedAt) {
		return "unknown"
	}
	return fmtDuration(r.FinishedAt.Sub(r.StartedAt))
}

// relative says how far t is from ref: "in 5h" or "3h ago".
func relative(t *time.Time, ref time.Time) string {
	if t == nil || ref.IsZero() {
		return ""
	}
	d := t.Sub(ref)
	if d >= 0 {
		return "in " + fmtDuration(d)
	}
	return fmtDuration(d) + " ago"
}

// isDryRun reports whether the run could not act. It reads the run's dry_run, which the cycle
// decided (reconcile.Permit: a plan is always dry); a report does not decide it again.
func isDryRun(r *Run) bool { return r.DryRun }

// modeLabel is the run's mode ("mark", "enforce", ...; a plan says so), or for a report written
// before reaper had modes "dry-run" or "acting".
func modeLabel(r *Run) string {
	if r.Mode != "" {
		if r.Command == "plan" {
			return r.Mode + " (plan: writes nothing)"
		}
		return r.Mode
	}
	if isDryRun(r) {
		return "dry-run"
	}
	return "acting"
}

// modeBadge is the run's mode as the HTML report's badge shows it, and what the mode means: a
// mark or approve run is never called a dry run. A report written before reaper had modes keeps
// the old words, DRY RUN or ACTING.
func modeBadge(r *Run) (badge, meaning string) {
	switch {
	case r.Mode == "" && isDryRun(r):
		return "DRY RUN", "Dry run: reaper did not call TerminateInstance"
	case r.Mode == "":
		return "ACTING", "Acting: due instances were terminated"
	case r.Command == "plan":
		return strings.ToUpper(r.Mode) + " · PLAN", "A plan: reaper wrote no tags, sent no notices and terminated nothing"
	}
	switch r.Mode {
	case "dry-run":
		return "DRY RUN", "Dry run: reaper wrote no tags, sent no notices and did not call TerminateInstance"
	case "mark":
		return "MARK", "Mark mode: reaper marks candidates and tells their owners; it never terminates"
	case "approve":
		if !isDryRun(r) {
			return "APPROVE", "Approve mode: reaper terminated only what an operator approved with reaper apply"
		}
		return "APPROVE", "Approve mode: reaper marks candidates; due instances are terminated only through reaper apply of an approved plan"
	case "enforce":
		return "ENFORCE", "Enforce mode: reaper marks candidates and terminates them once due"
	}
	return strings.ToUpper(r.Mode), "Mode " + r.Mode
}

// headline is the one sentence a reader needs first: what happened to the fleet.
func headline(r *Run) string {
	c := r.Summary.ByAction
	switch {
	case r.Result == ResultAborted:
		return "The cycle was aborted before acting" + suffix(r.Error) + ". Nothing was terminated."
	case r.Result == ResultBlocked || r.Blocked != nil:
		return "A safety limit blocked the cycle" + suffix(blockText(r.Blocked)) + ". Nothing was terminated."
	case isDryRun(r):
		return fmt.Sprintf("%s: %d %s would be terminated and %d %s marked, waiting for the grace period. Nothing was terminated.",
			dryWord(r), c[ActionWouldTerminate], plural(c[ActionWouldTerminate], "instance", "instances"),
			c[ActionMarked], plural(c[ActionMarked], "is", "are"))
	}
	s := fmt.Sprintf("Terminated %d %s; %d marked, waiting for the grace period.",
		c[ActionTerminated], plural(c[ActionTerminated], "instance", "instances"), c[ActionMarked])
	if c[ActionFailed] > 0 {
		s += fmt.Sprintf(" %d %s failed.", c[ActionFailed], plural(c[ActionFailed], "termination", "terminations"))
	}
	if n := c[ActionUnconfirmed]; n > 0 {
		s += fmt.Sprintf(" %d %s accepted by the API did not take (unconfirmed).", n, plural(n, "termination", "terminations"))
	}
	if r.Result == ResultFailed && r.Error != "" && c[ActionFailed] == 0 {
		s += " The cycle failed: " + strings.TrimSuffix(r.Error, ".") + "."
	}
	return s
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + strings.TrimSuffix(s, ".")
}

// blockText is one sentence about a blocked cycle.
func blockText(b *Block) string {
	if b == nil {
		return ""
	}
	if b.Message != "" {
		return b.Message
	}
	return fmt.Sprintf("%s exceeded (limit %s, observed %s, %d due)",
		b.Limit, trimFloat(b.Value), trimFloat(b.Observed), b.Due)
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// actionRank orders actions most urgent first, unknown actions last.
func actionRank(a string) int {
	if i := slices.Index(Actions, a); i >= 0 {
		return i
	}
	return len(Actions)
}

// displayOrder returns the indexes of the run's instances that keep picks, in the order reports
// show them: by action (most urgent first), then due time, name and ID. Only the picked rows'
// keys are held while sorting (a stable sort of the picked rows is the stable sort of all of them
// with the others left out).
func displayOrder(r *Run, keep func(*Instance) bool) []int {
	type key struct {
		i, rank  int
		due      *time.Time
		name, id string
	}
	var keys []key
	for i, in := range r.All() {
		if keep(in) {
			keys = append(keys, key{i: i, rank: actionRank(in.Action), due: in.DueAt, name: in.Name, id: in.ID})
		}
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if c := a.rank - b.rank; c != 0 {
			return c
		}
		if c := compareTimes(a.due, b.due); c != 0 {
			return c
		}
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := make([]int, len(keys))
	for k, x := range keys {
		out[k] = x.i
	}
	return out
}

// compareTimes orders nil after every time.
func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// sortedKeys returns m's keys by descending count, then name.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := m[b] - m[a]; c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}

// terminationNote explains where a terminated instance is now.
func terminationNote(in Instance) string {
	switch {
	case in.Action != ActionTerminated:
		return ""
	case in.Status == "CREATE_FAILED":
		return "deleted at once (CREATE_FAILED instances skip the recycle bin)"
	case in.ChargeType == "PREPAID":
		return "subscription cancelled; the instance is returned when it expires"
	case in.RecycleDeadline != nil:
		return "in the recycle bin until " + fmtTime(in.RecycleDeadline) + "; after that, it is gone"
	}
	return "in the recycle bin for about 24h; after that, it is gone"
}

// dryWord names a run that terminated nothing by what it was: a plan, named with the mode it plans
// for (a plan acts in no mode), a dry run (the dry-run mode, --dry-run, or a report from before
// reaper had modes), or a mark- or approve-mode run, which is not a dry run.
func dryWord(r *Run) string {
	switch {
	case r.Command == "plan" && r.Mode != "":
		return "Plan (" + r.Mode + " mode, acts on nothing)"
	case r.Command == "plan" || r.Mode == "" || r.Mode == "dry-run" || r.Mode == "enforce":
		return "Dry run"
	case r.Mode == "approve":
		return "Approve mode (terminations only through reaper apply)"
	}
	return "Mark mode (marks, never terminates)"
}
