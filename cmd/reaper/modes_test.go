package main

import (
	"slices"
	"testing"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// TestModesAgree pins the config's list of modes to the one reconcile decides on: a mode the
// config accepts but reconcile does not know would silently run dry (or the reverse, never run).
func TestModesAgree(t *testing.T) {
	if !slices.Equal(config.Modes, reconcile.Modes()) {
		t.Errorf("config.Modes = %v, reconcile.Modes() = %v", config.Modes, reconcile.Modes())
	}
	if config.Default().Mode != reconcile.ModeDryRun {
		t.Errorf("default mode %q, want %q", config.Default().Mode, reconcile.ModeDryRun)
	}
}

// TestModeLine: validate prints the mode and what it may do, for every mode.
func TestModeLine(t *testing.T) {
	for _, m := range reconcile.Modes() {
		got := modeLine(reconcile.Permit(m, false, reconcile.CommandRun))
		if len(got) < len(m) || got[:len(m)] != m {
			t.Errorf("modeLine(%s) = %q, want it to start with the mode", m, got)
		}
	}
}
