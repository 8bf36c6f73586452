package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestQueuedApprovalOutcomeRecordedAfterAFailedFinish: recording an approval's outcome fails once
// (the store's write fails: here inbox/done is briefly not a directory). The daemon still leads
// and the approval is still waiting, with this daemon's take: a later look must record the outcome
// it computed (applied, exit 0), not leave the approval waiting for as long as this daemon runs
// (apply --wait would run out), and must not act on it again.
func TestQueuedApprovalOutcomeRecordedAfterAFailedFinish(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, approveConfig+"schedule: \"@every 1m\"\ncycle_timeout: 20s\n")
	inbox := state.NewInbox(filepath.Join(dir, "state"))
	done := filepath.Join(inbox.Dir(), "done")
	var broke atomic.Bool
	prev := approvalTaken
	approvalTaken = func(id string) {
		if broke.CompareAndSwap(false, true) {
			if err := os.Rename(done, done+".away"); err != nil {
				panic(err)
			}
			if err := os.WriteFile(done, nil, 0o600); err != nil {
				panic(err)
			}
		}
	}
	t.Cleanup(func() { approvalTaken = prev })

	fs := newFakeSchedule(t, "@every 1m")
	d := startDaemon(t, path, map[string]string{}, fs.clock)
	logOnFailure(t, d)
	planFile := daemonPlan(t, fs, dir)
	sim.ResetCalls()
	id := queuedID(t, reaper(t, "apply", planFile, "--config", path, "--exclude", "7703"))
	fs.clock.Advance(approvalPoll)
	eventually(t, "the failed finish", 30*time.Second, func() bool {
		return strings.Contains(d.stderr.String(), "cannot finish an approval")
	})
	if err := os.Remove(done); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(done+".away", done); err != nil {
		t.Fatal(err)
	}
	fs.clock.Advance(approvalPoll)
	o := awaitOutcome(t, inbox, id)
	if o.Status != state.ApprovalApplied || o.ExitCode != exitOK || o.RunID == "" {
		t.Errorf("outcome = %+v; want applied, exit 0, by the run that applied it", o)
	}
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701", "7702"}) {
		t.Errorf("terminated %v, want [7701 7702] once", got)
	}
}
