package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestQueuedApprovalAfterAnEntryThatCannotBeTaken: an inbox entry the daemon cannot take (a file
// whose name starts with a dot, as an editor's swap file does: no take or outcome can be written
// for it) is set aside, and the approvals after it are still applied. A dot sorts before every
// approval ID, so a take failure that ends the look stops the whole queue for good.
func TestQueuedApprovalAfterAnEntryThatCannotBeTaken(t *testing.T) {
	_, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, approveConfig+"schedule: \"@every 1m\"\ncycle_timeout: 20s\n")
	fs := newFakeSchedule(t, "@every 1m")
	d := startDaemon(t, path, map[string]string{}, fs.clock)
	logOnFailure(t, d)
	planFile := daemonPlan(t, fs, dir)
	inbox := state.NewInbox(filepath.Join(dir, "state"))
	if err := os.WriteFile(filepath.Join(inbox.Dir(), ".approval.json.swp"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := queuedID(t, reaper(t, "apply", planFile, "--config", path, "--exclude", "7703"))
	fs.clock.Advance(approvalPoll)
	if o := awaitOutcome(t, inbox, id); o.Status != state.ApprovalApplied || o.ExitCode != exitOK {
		t.Errorf("outcome = %+v; want applied, exit 0", o)
	}
}
