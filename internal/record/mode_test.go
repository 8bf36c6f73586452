package record

import (
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// TestReportAndSummaryNameTheMode: the report's mode and the summary's first line are the
// cycle's effective mode, as reconcile.Permit decided it; a plan says it writes nothing.
func TestReportAndSummaryNameTheMode(t *testing.T) {
	tests := []struct {
		mode    string
		forced  bool
		command string
		want    string
		line    string
	}{
		{reconcile.ModeMark, false, reconcile.CommandRun, "mark", "(run, mark)"},
		{reconcile.ModeEnforce, false, reconcile.CommandRun, "enforce", "(run, enforce)"},
		{reconcile.ModeEnforce, true, reconcile.CommandRun, "dry-run", "(run, dry-run)"},
		{reconcile.ModeApprove, false, reconcile.CommandPlan, "approve", "(plan, approve, writes nothing)"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			res := result(reconcile.StatusOK)
			res.Command = tt.command
			res.Permissions = reconcile.Permit(tt.mode, tt.forced, tt.command)
			res.DryRun = res.Permissions.DryRun()
			if got := Report(res, testConfig(t), fakePolicies{}).Mode; got != tt.want {
				t.Errorf("report mode = %q, want %q", got, tt.want)
			}
			var b strings.Builder
			Summary(&b, &Run{Result: res})
			if !strings.Contains(b.String(), tt.line) {
				t.Errorf("summary lacks %q:\n%s", tt.line, b.String())
			}
		})
	}
}
