package state

import (
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
)

// TestPruneIntentsAfterClockJump: completed intents are pruned by age only beyond the newest
// `keep` of them, and "newest" is the run sequence, never a time. A clock that jumps a year ahead
// cannot delete the audit trail, and a run made with it does not push the newest real intents out
// when the clock comes back.
func TestPruneIntentsAfterClockJump(t *testing.T) {
	clock := clocktest.New(t0)
	s := openStore(t, WithNow(clock.Now))
	day := 24 * time.Hour
	// run records one run that terminated instance id at the clock's time.
	run := func(id, instance string) {
		t.Helper()
		now := clock.Now()
		putIntents(t, s, Intent{RunID: id, InstanceID: instance, CreatedAt: now})
		if err := s.CompleteIntent(id, instance, Outcome{Result: "terminated", At: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutRun(Run{ID: id, Command: "run", StartedAt: now, FinishedAt: now, Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	remaining := func() []string {
		t.Helper()
		var out []string
		for _, in := range must(s.Intents())(t) {
			out = append(out, in.InstanceID)
		}
		return out
	}

	clock.Set(t0.Add(1 * day))
	run("r1", "a")
	clock.Set(t0.Add(2 * day))
	run("r2", "b")
	clock.Set(t0.Add(400 * day)) // the clock jumps more than a year ahead
	run("r9", "fast")
	if _, err := s.PruneIntents(clock.Now().Add(-90*day), 2); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "intents after the fast run's prune", remaining(), []string{"b", "fast"})

	clock.Set(t0.Add(3 * day)) // the clock is put right
	if _, err := s.AcceptClock(clock.Now()); err != nil {
		t.Fatal(err)
	}
	run("r3", "c") // the newest run by sequence, though not by time
	// Everything is old by now-90d of a fast clock again: only the two newest runs' intents stay.
	n, err := s.PruneIntents(t0.Add(500*day), 2)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("PruneIntents = %d, want 1", n)
	}
	checkEqual(t, "intents after the clock came back", remaining(), []string{"c", "fast"})

	// An intent of a run not recorded yet (the cycle in progress) is the newest of all.
	putIntents(t, s, Intent{RunID: "r4", InstanceID: "d", CreatedAt: clock.Now()})
	if err := s.CompleteIntent("r4", "d", Outcome{Result: "terminated", At: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PruneIntents(t0.Add(500*day), 1); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "intents with a run in progress", remaining(), []string{"d"})
}
