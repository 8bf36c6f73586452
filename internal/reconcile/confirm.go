package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// DefaultUnconfirmedRetryAfter is the first wait before an instance whose accepted termination
// did not take is called again (safety.unconfirmed_retry_after).
const DefaultUnconfirmedRetryAfter = 6 * time.Hour

// MaxUnconfirmedBackoff caps the growing wait between calls that do not take.
const MaxUnconfirmedBackoff = 7 * 24 * time.Hour

// unconfirmedWait is the wait after the attempts-th call in a row that did not take: base,
// doubled for each further one, at most MaxUnconfirmedBackoff (and never less than base).
func unconfirmedWait(base time.Duration, attempts int) time.Duration {
	d := base
	for n := 1; n < attempts && d < MaxUnconfirmedBackoff; n++ {
		d *= 2
	}
	return max(min(d, MaxUnconfirmedBackoff), base)
}

// screen applies the guards, then the unconfirmed backoff. It is pure, like guard.
func (s Settings) screen(in zen.Instance, refusals map[string]state.Refusal, pending map[string]state.Unconfirmed, now time.Time) guardResult {
	if g := s.guard(in, refusals, now); !g.passed() {
		return g
	}
	if u, ok := pending[in.ID]; ok && now.Before(u.LastAt.Add(unconfirmedWait(s.UnconfirmedRetryAfter, u.Attempts))) {
		return guardResult{ActionSkipped, SkipUnconfirmed}
	}
	return guardResult{}
}

// inRecycleBin reports whether the API shows the instance in, or on its way to, the recycle bin.
func inRecycleBin(in zen.Instance) bool {
	return in.Status == zen.StatusRecycle || in.Status == zen.StatusRecycling
}

// took reports whether a TerminateInstance the API accepted has taken effect, judged by a describe
// after the call (zenlayer-bmc-api.md §5, seed-terminateinstance.md): a POSTPAID instance moves to
// the recycle bin (RECYCLE; the transient RECYCLING counts), a CREATE_FAILED one is deleted at once
// (absent), and a PREPAID one stays RUNNING with autoRenew off until it expires. Anything else,
// such as a POSTPAID instance still RUNNING or STOPPED, or a PREPAID one whose autoRenew the
// answer left out (absent is not false), did not take. It also says what was seen.
func took(in zen.Instance, found bool) (bool, string) {
	switch {
	case !found:
		return true, "absent"
	case inRecycleBin(in):
		return true, string(in.Status)
	case in.ChargeType == zen.ChargePrepaid && in.AutoRenew != nil && !*in.AutoRenew:
		return true, "subscription cancelled"
	}
	return false, statusReason(in.Status)
}

// confirm describes every instance whose termination the API accepted in this cycle, once, after
// the batch of calls, and settles each: terminated when the call took, unconfirmed (backed off and
// failing the run) when it did not or when the describe failed. It records the intents' outcomes.
// It returns an error only when the state store fails. budget is the deadline of the last call's
// detached context: once the cycle is cancelled the describe shares it, so a stop waits for at
// most one CallTimeout (the call in flight and its confirmation together), not two.
func (r *Reconciler) confirm(ctx context.Context, res *Result, accepted []int, pending map[string]state.Unconfirmed, budget time.Time) error {
	if len(accepted) == 0 {
		return nil
	}
	ids := make([]string, len(accepted))
	for k, i := range accepted {
		ids[k] = res.Entries[i].Instance.ID
	}
	// Like the calls, the describe is not abandoned when the cycle is cancelled.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.Settings.CallTimeout)
	defer cancel()
	if ctx.Err() != nil && !budget.IsZero() {
		var stopCancel context.CancelFunc
		dctx, stopCancel = context.WithDeadline(dctx, budget)
		defer stopCancel()
	}
	list, derr := r.opts.API.DescribeInstances(dctx, ids)
	fresh := make(map[string]zen.Instance, len(list))
	for _, in := range list {
		fresh[in.ID] = in
	}
	now := r.opts.Now().UTC()
	for _, i := range accepted {
		e := &res.Entries[i]
		f, found := fresh[e.Instance.ID]
		ok, seen := took(f, found)
		why := "the instance is still " + seen
		if derr != nil {
			ok, seen, why = false, "describe failed", "the describe after it failed: "+derr.Error()
		}
		if err := r.settle(res.RunID, e, ok, seen, why, f, found, pending, now); err != nil {
			return err
		}
	}
	return nil
}

// settle records one accepted call as terminated or unconfirmed; seen is what the describe
// showed, why the sentence saying it.
func (r *Reconciler) settle(runID string, e *Entry, ok bool, seen, why string, f zen.Instance, found bool, pending map[string]state.Unconfirmed, now time.Time) error {
	id := e.Instance.ID
	if ok {
		if e.Instance.ChargeType == zen.ChargePrepaid {
			e.AddWarn(policy.Reason{Policy: "reaper", Reason: "subscription cancelled: the instance is returned when it expires"})
		}
		if _, was := pending[id]; was {
			if err := r.opts.Store.DeleteUnconfirmed(id); err != nil {
				return fmt.Errorf("forget unconfirmed termination of %s: %w", id, err)
			}
		}
		return r.complete(runID, e, OutcomeTerminated, now)
	}
	u := state.Unconfirmed{InstanceID: id, Attempts: 1, FirstAt: now, LastAt: now, RequestID: e.RequestID(), Observed: seen}
	if old, was := pending[id]; was {
		u.Attempts, u.FirstAt = old.Attempts+1, old.FirstAt
	}
	if found {
		e.Instance = &f // f is settle's own copy: the listing's instance is never written
	}
	next := now.Add(unconfirmedWait(r.opts.Settings.UnconfirmedRetryAfter, u.Attempts))
	e.Action = ActionUnconfirmed
	e.SetTerminatedAt(nil)
	e.SetErrorText(fmt.Sprintf("the API accepted the termination but %s (%d in a row); not called again before %s",
		why, u.Attempts, next.Format(time.RFC3339)))
	if err := r.opts.Store.PutUnconfirmed(u); err != nil {
		return fmt.Errorf("remember unconfirmed termination of %s: %w", id, err)
	}
	return r.complete(runID, e, OutcomeUnconfirmed, now)
}
