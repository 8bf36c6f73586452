package record

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// TestSummaryOrderFollowsVocabulary: the actions line lists every action of the cycle, in the
// order of reconcile.Actions (the reports' order), and the table lists the candidates only.
func TestSummaryOrderFollowsVocabulary(t *testing.T) {
	var es []reconcile.Entry
	all := reconcile.Actions()
	for i := len(all) - 1; i >= 0; i-- { // the entries in the reverse order
		es = append(es, entry(string(all[i]), all[i], reason("reaper.idle", "idle")))
	}
	var b strings.Builder
	Summary(&b, &Run{Result: result(reconcile.StatusOK, es...)})
	out := b.String()

	var want []string
	for _, a := range all {
		want = append(want, string(a)+" 1")
	}
	if line := "actions: " + strings.Join(want, ", ") + "\n"; !strings.Contains(out, line) {
		t.Errorf("summary lacks %q:\n%s", line, out)
	}
	for _, a := range all {
		row := regexp.MustCompile(`(?m)^` + string(a) + `\s+` + string(a) + `\s`)
		if got := row.MatchString(out); got != a.IsCandidate() {
			t.Errorf("table row for %s: %v, want %v (candidates only)\n%s", a, got, a.IsCandidate(), out)
		}
	}
}

func TestSummary(t *testing.T) {
	due := t0.Add(90 * time.Minute)
	marked := entry("m", reconcile.ActionMarked, reason("reaper.idle", "idle 7d"))
	marked.SetDueAt(&due)
	unconfirmed := entry("u", reconcile.ActionUnconfirmed, reason("reaper.expiry", "expired"))
	unconfirmed.SetRequestID("req-\x1b[31m")
	evil := entry("e", reconcile.ActionWouldTerminate, reason("reaper.expiry", "expired"))
	evil.Instance.Name = "vm\u202eevil\x1b[2J"
	res := result(reconcile.StatusBlocked, marked, unconfirmed, evil)
	res.Block = &reconcile.Block{Limit: reconcile.LimitPerRun, Message: "3 instances are due"}
	res.Permissions = reconcile.Permit(reconcile.ModeDryRun, false, reconcile.CommandRun)
	res.DryRun = res.Permissions.DryRun()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "report.html"), nil, 0o600)

	var b strings.Builder
	Summary(&b, &Run{Result: res, Dir: dir})
	out := b.String()
	for _, want := range []string{
		"run 20261126T080000Z-abcdef (run, dry-run): blocked, 3 instances in inventory\n",
		"BLOCKED by max_terminations_per_run: 3 instances are due. Nothing was terminated.\n",
		"2026-11-26T09:30:00Z (in 1h29m0s)", // from the end of the cycle (42s after its start)
		"idle: idle 7d",
		`did not take req-\x1b[31m`,
		`vm\u202eevil\x1b[2J`,
		"report: " + dir + "\n",
		"html:   " + filepath.Join(dir, "report.html") + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("summary carries terminal controls:\n%q", out)
	}

	b.Reset()
	Summary(&b, &Run{Result: result(reconcile.StatusOK, entry("k", reconcile.ActionKept))})
	if out := b.String(); !strings.Contains(out, "no candidates\n") || strings.Contains(out, "report:") {
		t.Errorf("summary of a quiet run without a report:\n%s", out)
	}
}
