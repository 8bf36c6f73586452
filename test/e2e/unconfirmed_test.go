package e2e_test

import (
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// A TerminateInstance that answers 200 while the instance stays RUNNING is unconfirmed, not
// terminated: it fails the cycle, and the instance is not called again before the backoff, which
// grows with each call that does not take. Calls are counted at the simulator.
func TestUnconfirmedTerminationBacksOff(t *testing.T) {
	const stuck, fine = "900000000000000001", "900000000000000002"
	w := newWorld(t, []zensim.FleetInstance{expired(stuck), expired(fine)})
	w.sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken, Count: 1}) // the first call only
	base := func(s *reconcile.Settings) { s.UnconfirmedRetryAfter = 6 * time.Hour }

	res := w.cycle(base, "run", false)
	e := entry(t, res, stuck)
	if e.Action != reconcile.ActionUnconfirmed || e.RequestID() == "" || e.TerminatedAt() != nil || e.Instance.Status != zen.StatusRunning {
		t.Fatalf("stuck: %s, request %q, terminated_at %v, status %s; want unconfirmed with the request ID, no terminated_at, RUNNING",
			e.Action, e.RequestID(), e.TerminatedAt(), e.Instance.Status)
	}
	if got := entry(t, res, fine).Action; got != reconcile.ActionTerminated {
		t.Fatalf("fine: %s, want terminated", got)
	}
	if c := res.Count(); c[reconcile.ActionTerminated] != 1 || c[reconcile.ActionUnconfirmed] != 1 {
		t.Fatalf("counts %v, want 1 terminated and 1 unconfirmed", c)
	}
	if res.Failures() != 1 {
		t.Fatalf("failures %d, want 1 (an unconfirmed termination fails the run: exit 1)", res.Failures())
	}
	w.wantTerminateCalls(stuck, fine)

	// Inside the backoff: skipped without a call, every cycle.
	w.sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken}) // every call from now on
	for range 5 {
		w.clock.Advance(time.Hour)
		if e := entry(t, w.cycle(base, "run", false), stuck); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipUnconfirmed {
			t.Fatalf("inside the backoff: %s/%s, want skipped/unconfirmed", e.Action, e.SkipReason)
		}
	}
	w.wantTerminateCalls(stuck, fine)

	// After it (6h): called again; it still does not take, so the next wait is longer (12h).
	w.clock.Advance(time.Hour)
	if e := entry(t, w.cycle(base, "run", false), stuck); e.Action != reconcile.ActionUnconfirmed {
		t.Fatalf("after the backoff: %s/%s, want unconfirmed again", e.Action, e.SkipReason)
	}
	w.wantTerminateCalls(stuck, fine, stuck)
	w.clock.Advance(11 * time.Hour)
	if e := entry(t, w.cycle(base, "run", false), stuck); e.SkipReason != reconcile.SkipUnconfirmed {
		t.Fatalf("11h into a 12h backoff: %s/%s, want skipped/unconfirmed", e.Action, e.SkipReason)
	}
	w.wantTerminateCalls(stuck, fine, stuck)

	// The API mends: the next call takes and is confirmed; the backoff is forgotten.
	w.sim.ClearFaults()
	w.clock.Advance(time.Hour)
	res = w.cycle(base, "run", false)
	if e := entry(t, res, stuck); e.Action != reconcile.ActionTerminated || e.TerminatedAt() == nil {
		t.Fatalf("after the API mended: %s/%s, want terminated", e.Action, e.SkipReason)
	}
	if res.Failures() != 0 {
		t.Fatalf("failures %d after a confirmed termination, want 0", res.Failures())
	}
	w.wantTerminateCalls(stuck, fine, stuck, stuck)
	pending, err := w.store.Unconfirmed()
	if err != nil || len(pending) != 0 {
		t.Fatalf("unconfirmed records %v (%v), want none after the confirmation", pending, err)
	}
}

// The intent of an unconfirmed call is completed as unconfirmed, with the request ID: the same
// word the crash recovery uses for a call it cannot confirm.
func TestUnconfirmedIntentOutcome(t *testing.T) {
	w := newWorld(t, []zensim.FleetInstance{expired("u")})
	w.sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken})
	e := entry(t, w.cycle(nil, "run", false), "u")
	intents, err := w.store.Intents()
	if err != nil || len(intents) != 1 || intents[0].Outcome == nil {
		t.Fatalf("intents %+v (%v), want one completed", intents, err)
	}
	o := intents[0].Outcome
	if o.Result != reconcile.OutcomeUnconfirmed || o.RequestID != e.RequestID() || o.RequestID == "" {
		t.Fatalf("outcome %+v, want unconfirmed with request %q", o, e.RequestID())
	}
}

// Whether a termination took is judged by what the API documents for each kind of instance:
// POSTPAID goes to the recycle bin, CREATE_FAILED is deleted at once, PREPAID (where the API
// cancels subscriptions) stays RUNNING with auto-renew off.
func TestConfirmationPerKind(t *testing.T) {
	prepaid := func(in *zensim.FleetInstance) { in.ChargeType = zen.ChargePrepaid; in.AutoRenew = true }
	failed := func(in *zensim.FleetInstance) {
		in.Status = zen.StatusCreateFailed
		in.Tags = map[string]string{}
		in.CreatedAt = t0.Add(-48 * time.Hour)
	}
	w := newWorld(t, []zensim.FleetInstance{expired("post"), expired("pre", prepaid), expired("cf", failed)}, withPrepaidCancels())
	allow := func(s *reconcile.Settings) { s.AllowSubscriptionCancel = true }
	res := w.cycle(allow, "run", false)
	for _, id := range []string{"post", "pre", "cf"} {
		if e := entry(t, res, id); e.Action != reconcile.ActionTerminated {
			t.Errorf("%s: %s (%s), want terminated (confirmed)", id, e.Action, e.ErrorText())
		}
	}
	w.wantTerminateCalls("post", "pre", "cf")
}
