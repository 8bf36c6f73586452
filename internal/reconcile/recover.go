package reconcile

import (
	"context"
	"fmt"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// recoverIntents resolves intents that a previous process recorded but never completed (it
// crashed or was killed between intent and outcome). Each instance is described afresh: recycled or
// absent means the call landed or the instance went away; anything else is recorded as unconfirmed
// (OutcomeUnconfirmed: a call reaper cannot confirm took, the same word an accepted call that did
// not take gets) and the instance is simply re-evaluated by this cycle, with the usual re-check
// before any call. No backoff is recorded: whether the call was made at all is unknown.
// If the instances cannot be described, the cycle is aborted: nothing acts on a guess.
func (r *Reconciler) recoverIntents(ctx context.Context, runID string) ([]string, error) {
	open, err := r.opts.Store.OpenIntents()
	if err != nil || len(open) == 0 {
		return nil, err
	}
	// With a shared store an open intent may be the leader's call in flight: only a leader
	// resolves intents.
	if err := r.fence(ctx, "recovery", "the open intents"); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(open))
	seen := make(map[string]bool)
	for _, in := range open {
		if !seen[in.InstanceID] {
			seen[in.InstanceID] = true
			ids = append(ids, in.InstanceID)
		}
	}
	list, err := r.opts.API.DescribeInstances(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("describe %d instances: %w", len(ids), err)
	}
	fresh := make(map[string]zen.Instance, len(list))
	for _, in := range list {
		fresh[in.ID] = in
	}
	now := r.opts.Now().UTC()
	for _, in := range open {
		o := state.Outcome{At: now}
		f, ok := fresh[in.InstanceID]
		switch {
		case !ok:
			o.Result, o.Error = OutcomeGone, "resolved at start by "+runID+": instance absent"
		case inRecycleBin(f):
			o.Result, o.Error = OutcomeRecycled, "resolved at start by "+runID+": instance in the recycle bin"
		default:
			o.Result, o.Error = OutcomeUnconfirmed, "resolved at start by "+runID+": instance still "+string(f.Status)+"; re-evaluated"
		}
		if err := r.opts.Store.CompleteIntent(in.RunID, in.InstanceID, o); err != nil {
			return nil, fmt.Errorf("resolve intent of %s: %w", in.InstanceID, err)
		}
		r.log.Warn("unfinished intent resolved", "run_id", runID, "intent_run_id", in.RunID, "instance_id", in.InstanceID, "outcome", o.Result)
	}
	return ids, nil
}
