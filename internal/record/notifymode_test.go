package record

import (
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/notify"
	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// TestDigestEventNamesTheMode: the operator's candidate digest names the run's mode and says what
// the run did; only a dry run is called one, and no mark or approve run is said to be about to
// terminate on its own.
func TestDigestEventNamesTheMode(t *testing.T) {
	tests := []struct {
		mode, command string
		forced        bool
		want, wantNo  []string
	}{
		{reconcile.ModeDryRun, reconcile.CommandRun, false, []string{"dry-run", "would be terminated"}, []string{"mark mode"}},
		{reconcile.ModeEnforce, reconcile.CommandRun, true, []string{"dry-run"}, nil},
		{reconcile.ModeMark, reconcile.CommandRun, false, []string{"mark mode", "marked", "not terminate"}, []string{"dry-run", "dry run"}},
		{reconcile.ModeApprove, reconcile.CommandRun, false, []string{"approve mode", "approv", "reaper apply"}, []string{"dry-run", "dry run"}},
		{reconcile.ModeEnforce, reconcile.CommandPlan, false, []string{"plan", "enforce", "would be terminated"}, []string{"dry-run", "dry run"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"/"+tt.command, func(t *testing.T) {
			res := result(reconcile.StatusOK, entry("w", reconcile.ActionWouldTerminate))
			res.Command = tt.command
			res.Permissions = reconcile.Permit(tt.mode, tt.forced, tt.command)
			res.DryRun = res.Permissions.DryRun()
			rep := Report(res, testConfig(t), fakePolicies{})
			var digest *notify.Event
			for _, e := range Events(rep, true) {
				if e.Kind == notify.KindDigest {
					digest = &e
				}
			}
			if digest == nil {
				t.Fatalf("no digest event: %v", kinds(Events(rep, true)))
			}
			if digest.Mode != rep.Mode {
				t.Errorf("event mode = %q, want the report's %q", digest.Mode, rep.Mode)
			}
			words := digest.Title + "\n" + digest.Text
			for _, w := range tt.want {
				if !strings.Contains(words, w) {
					t.Errorf("digest lacks %q: %s", w, words)
				}
			}
			for _, w := range tt.wantNo {
				if strings.Contains(words, w) {
					t.Errorf("digest says %q: %s", w, words)
				}
			}
		})
	}
}
