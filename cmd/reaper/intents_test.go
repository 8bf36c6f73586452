package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestClockJumpKeepsTheAuditTrail: completed intents (the audit trail of terminations) survive a
// run made with a clock a year ahead, and the clock coming back: their retention is bounded by
// the run sequence, not only by a wall-clock age that a wrong clock can make up.
func TestClockJumpKeepsTheAuditTrail(t *testing.T) {
	sim, url := startSim(t, append(fleetN(3, expiredInstance), healthyInstance("7700000000000000099")))
	path, dir := writeConfig(t, url, testSecret, "dry_run: false\n"+
		"safety: {grace_period: 0s, max_terminations_percent: 100, max_fleet_drop_percent: 100}\n")
	now := time.Now()
	if r := reaperAt(t, now, "run", "--once", "--config", path); r.code != exitOK {
		t.Fatalf("run: code %d\n%s", r.code, r.stderr)
	}
	if n := terminateCount(sim); n != 3 {
		t.Fatalf("%d TerminateInstance calls, want 3", n)
	}
	if r := reaperAt(t, now.Add(400*24*time.Hour), "run", "--once", "--config", path); r.code == exitUsage {
		t.Fatalf("run with the clock ahead: code %d\n%s", r.code, r.stderr)
	}
	if r := reaperAt(t, now.Add(time.Hour), "run", "--once", "--config", path); r.code != exitBlocked {
		t.Fatalf("run with the clock back: code %d, want %d (clock)\n%s", r.code, exitBlocked, r.stderr)
	}

	s, err := state.OpenReadOnly(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	intents, err := s.Intents()
	if err != nil {
		t.Fatal(err)
	}
	done := 0
	for _, in := range intents {
		if in.Outcome != nil {
			done++
		}
	}
	if done != 3 {
		t.Errorf("%d completed intents after the clock jumped ahead and back, want the 3 terminations", done)
	}
}
