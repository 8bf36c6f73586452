package e2e_test

import (
	"slices"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// TestSnoozeEndToEnd: an owner's reaper-snooze-until within snooze.max (30 days by default) keeps
// an expired instance alive, in any spelling of the key and as a date or an RFC 3339 time; a
// snooze beyond the maximum or a malformed one exempts nothing, so that instance is terminated, and
// the report says why. Once a snooze ends, the instance is a candidate again (and is terminated
// only after its grace period, as any other).
func TestSnoozeEndToEnd(t *testing.T) {
	snooze := func(key, value string) func(*zensim.FleetInstance) {
		return func(in *zensim.FleetInstance) { in.Tags[key] = value }
	}
	w := newWorld(t, []zensim.FleetInstance{
		expired("date", snooze("reaper-snooze-until", "2026-12-10")),
		expired("time", snooze(" Reaper-Snooze-Until ", "2026-12-01T00:00:00Z")),
		expired("too-far", snooze("reaper-snooze-until", "2027-06-01")),
		expired("malformed", snooze("reaper-snooze-until", "next tuesday")),
		expired("plain"),
	})
	res := w.cycle(nil, "run", false)
	w.wantTerminateCalls("too-far", "malformed", "plain")
	for _, id := range []string{"date", "time"} {
		if e := entry(t, res, id); e.Action != reconcile.ActionExempt {
			t.Errorf("%s: %s, want exempt (snoozed within snooze.max)", id, e.Action)
		}
	}
	for _, id := range []string{"too-far", "malformed"} {
		e := entry(t, res, id)
		if !slices.ContainsFunc(e.Warn(), func(r policy.Reason) bool { return r.Policy == "reaper.snooze" }) {
			t.Errorf("%s: no reaper.snooze warning about its tag (warn %+v)", id, e.Warn())
		}
	}

	// The snoozes end (2026-12-01 and the end of 2026-12-10): both are candidates again, marked
	// first and terminated after the grace period.
	w.sim.ResetCalls()
	w.clock.Advance(15 * 24 * time.Hour)
	grace := func(s *reconcile.Settings) { s.GracePeriod = time.Hour }
	res = w.cycle(grace, "run", false)
	w.wantTerminateCalls()
	for _, id := range []string{"date", "time"} {
		if e := entry(t, res, id); e.Action != reconcile.ActionMarked {
			t.Errorf("%s after its snooze: %s, want marked", id, e.Action)
		}
	}
	w.clock.Advance(2 * time.Hour)
	w.cycle(grace, "run", false)
	w.wantTerminateCalls("date", "time")
}
