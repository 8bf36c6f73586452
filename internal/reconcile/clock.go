package reconcile

import (
	"fmt"
	"time"
)

// LimitClock names the block of a cycle whose clock is earlier than the last recorded run.
const LimitClock = "clock"

// DefaultClockTolerance is how far the clock may be behind the last recorded run before a cycle is
// blocked: enough for NTP steps and for runs of two hosts sharing a state directory in turn.
const DefaultClockTolerance = 5 * time.Minute

// checkClock returns a clock Block when now is earlier than the latest time a recorded run started
// or finished by more than the tolerance. Due times, the grace period and the state's own record
// of what happened when all assume time moves forward; a clock that went back (or a run made with
// a clock that was ahead) breaks them, so such a cycle takes no action until the clock is right
// or an operator accepts it (`reaper state accept-clock`). It also returns the last run time.
func (r *Reconciler) checkClock(now time.Time) (*Block, time.Time, error) {
	last, ok, err := r.opts.Store.LastRunTime()
	if err != nil || !ok {
		return nil, time.Time{}, err
	}
	tol := r.opts.Settings.ClockTolerance
	behind := last.Sub(now)
	if behind <= tol {
		return nil, last, nil
	}
	return &Block{Limit: LimitClock, Value: tol.Seconds(), Observed: behind.Seconds(),
		Message: fmt.Sprintf("the clock says %s, %s before the last recorded run (%s), more than the %s tolerance; "+
			"fix the clock, or, if the earlier run's clock was the wrong one, run `reaper state accept-clock --yes`",
			now.UTC().Format(time.RFC3339), behind.Round(time.Second), last.UTC().Format(time.RFC3339), tol)}, last, nil
}

// blockAll applies b to the cycle: every due entry becomes blocked, and b replaces any other limit
// the plan tripped (a wrong clock makes every other figure suspect).
func (r *Reconciler) blockAll(res *Result, b *Block) {
	due := 0
	for i := range res.Entries {
		if a := res.Entries[i].Action; a == ActionWouldTerminate || a == ActionBlocked {
			res.Entries[i].Action = ActionBlocked
			due++
		}
	}
	b.Due = due
	res.Status, res.Block = StatusBlocked, b
	r.log.Warn("cycle blocked by a safety limit", "run_id", res.RunID, "limit", b.Limit, "reason", b.Message, "due", due)
}
