package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// act is the only step that calls TerminateInstance. Run calls it only when the cycle's Permissions
// allow terminating (the function Permit alone decides that). Each due instance is described again and must still pass
// every guard and still be a candidate (compare-and-act); an intent is recorded durably before
// the call and its outcome after.
//
// The calls the API accepted are confirmed after the batch by one describe (confirm): only a
// termination that took counts as terminated.
//
// changed, when not nil, is asked first about each fresh description: apply's test that the
// instance is the one its plan was approved for.
func (r *Reconciler) act(ctx context.Context, res *Result, refusals map[string]state.Refusal, pending map[string]state.Unconfirmed, changed func(e *Entry, f zen.Instance) string) error {
	due := res.indices(ActionWouldTerminate)
	if len(due) == 0 {
		return nil
	}
	fresh, decisions, err := r.recheck(ctx, res, due)
	if err != nil {
		for _, i := range due {
			res.Entries[i].Action, res.Entries[i].SkipReason = ActionSkipped, SkipRecheckFailed
		}
		res.Status = StatusFailed
		return fmt.Errorf("re-check before acting: %w", err)
	}
	now := r.opts.Now().UTC()
	var accepted []int
	var stop error
	var budget time.Time // the deadline of the last call's detached context
	for _, i := range due {
		e := &res.Entries[i]
		if ctx.Err() != nil {
			e.Action, e.SkipReason = ActionSkipped, SkipNotAttempted
			continue
		}
		f, ok := fresh[e.Instance.ID]
		if !ok {
			e.Action, e.SkipReason = ActionSkipped, SkipGone
			continue
		}
		why := ""
		if changed != nil {
			why = changed(e, f)
		}
		if why == "" {
			why = r.disagrees(f, decisions[f.ID], e.Marks(), refusals, pending, now)
		}
		// The entry is given the fresh description, a copy of its own: the listing's instance it
		// pointed at is never written (nothing may observe a changed listing).
		if why != "" {
			e.Instance, e.Action, e.SkipReason = &f, ActionSkipped, SkipChanged
			e.AddWarn(policy.Reason{Policy: "reaper", Reason: "re-check before acting: " + why})
			r.log.Debug("instance changed before acting", "run_id", res.RunID, "instance_id", f.ID, "reason", why)
			continue
		}
		e.Instance = &f
		ok, until, err := r.terminate(ctx, res.RunID, e)
		budget = until
		if ok {
			accepted = append(accepted, i)
		}
		if err != nil {
			stop = err
			break
		}
	}
	if fe := (*fenceError)(nil); errors.As(stop, &fe) {
		return r.fenced(res, due, accepted, stop)
	}
	if err := r.confirm(ctx, res, accepted, pending, budget); err != nil && stop == nil {
		stop = err
	}
	if stop != nil {
		res.Status = StatusFailed
		r.notAttempted(res, due)
		return stop
	}
	if n := len(res.skipped(SkipNotAttempted)); n > 0 {
		res.Status = StatusFailed
		return fmt.Errorf("cycle cancelled: %d due instances not attempted: %w", n, ctx.Err())
	}
	return nil
}

// recheck describes the due instances again and evaluates the policies on the fresh data.
func (r *Reconciler) recheck(ctx context.Context, res *Result, due []int) (map[string]zen.Instance, map[string]policy.Decision, error) {
	ids := make([]string, len(due))
	traffic := make(map[string]*policy.Traffic, len(due))
	for k, i := range due {
		ids[k] = res.Entries[i].Instance.ID
		traffic[ids[k]] = res.Entries[i].Traffic
	}
	list, err := r.opts.API.DescribeInstances(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	ds, err := r.evaluate(ctx, r.opts.Now().UTC(), list, traffic)
	if err != nil {
		return nil, nil, err // the engine's error names the evaluation
	}
	fresh := make(map[string]zen.Instance, len(list))
	decisions := make(map[string]policy.Decision, len(list))
	for k, in := range list {
		fresh[in.ID], decisions[in.ID] = in, ds[k]
	}
	return fresh, decisions, nil
}

// disagrees returns why fresh data no longer supports terminating, or "" when it still does: it
// passes every guard and the unconfirmed backoff, nothing exempts it, and a policy whose mark is
// due still nominates it.
func (r *Reconciler) disagrees(f zen.Instance, d policy.Decision, marks []PolicyMark, refusals map[string]state.Refusal, pending map[string]state.Unconfirmed, now time.Time) string {
	if g := r.opts.Settings.screen(f, refusals, pending, now); !g.passed() {
		return fmt.Sprintf("%s (%s)", g.action, g.reason)
	}
	switch {
	case d.Err != nil:
		return "policy evaluation failed: " + d.Err.Error()
	case len(d.Exempt) > 0:
		return "exempt: " + d.Exempt[0].Reason
	case !d.Candidate():
		return "no longer a candidate"
	}
	return r.noDuePolicy(d, marks, now)
}

// notAttempted marks the due entries that never got their turn.
func (r *Reconciler) notAttempted(res *Result, due []int) {
	for _, i := range due {
		if res.Entries[i].Action == ActionWouldTerminate {
			res.Entries[i].Action, res.Entries[i].SkipReason = ActionSkipped, SkipNotAttempted
		}
	}
}

func (res *Result) indices(a Action) []int {
	var out []int
	for i, e := range res.Entries {
		if e.Action == a {
			out = append(out, i)
		}
	}
	return out
}

func (res *Result) skipped(reason string) []int {
	var out []int
	for i, e := range res.Entries {
		if e.Action == ActionSkipped && e.SkipReason == reason {
			out = append(out, i)
		}
	}
	return out
}

func reasonTexts(rs []policy.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Policy + ": " + r.Reason
	}
	return out
}
