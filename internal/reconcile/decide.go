package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// decide runs guards, enrichment and policy over the inventory and returns one entry per
// instance, in inventory order. done holds the decisions made during the listing (nil: none):
// those instances needed no traffic, so their decisions are the ones made here. Candidates that
// passed every guard come back as ActionMarked; the plan step turns them into marked,
// would_terminate or blocked.
func (r *Reconciler) decide(ctx context.Context, now time.Time, inv []zen.Instance, done *early, refusals map[string]state.Refusal, pending map[string]state.Unconfirmed, res *Result) []Entry {
	guards := make([]guardResult, len(inv))
	// The enricher is given the instances that passed the guards; when the listing told which
	// instances can get traffic (done), only those of them: it would skip the others (with idle
	// detection out of scope, that spares a copy of the whole fleet).
	var survivors []zen.Instance
	if done == nil {
		survivors = make([]zen.Instance, 0, len(inv))
	}
	passed := false
	for i, in := range inv {
		guards[i] = r.opts.Settings.screen(in, refusals, pending, now)
		if guards[i].passed() {
			passed = true
			if done == nil || done.needs(in) {
				survivors = append(survivors, in)
			}
		}
	}
	traffic, err := r.enrich(ctx, now, survivors, passed, res)
	if err != nil {
		r.abort(res, err)
		return nil
	}

	if done != nil && done.err != nil {
		r.abort(res, done.err) // the engine's error names the evaluation
		return nil
	}
	// Each chunk's decisions become entries at once, so the fleet's decisions are never held
	// beside its entries. An error discards every entry: the cycle aborts as before.
	entries := make([]Entry, len(inv))
	err = r.evaluateEach(ctx, now, inv, traffic, done, func(i int, d policy.Decision) {
		entries[i] = r.entry(&inv[i], guards[i], d, traffic[inv[i].ID])
		entries[i].TrafficPending = trafficPending(traffic, inv[i].ID)
	})
	if err != nil {
		r.abort(res, err) // the engine's error names the evaluation
		return nil
	}
	return entries
}

// entry combines a guard verdict and a policy decision into a first action. The entry points at
// in, the listing's own instance (no copy: see Entry.Instance).
func (r *Reconciler) entry(in *zen.Instance, g guardResult, d policy.Decision, tr *policy.Traffic) Entry {
	e := Entry{Instance: in, Traffic: tr, EvalFailed: d.Err != nil}
	e.SetTerminate(d.Terminate)
	e.SetExempt(d.Exempt)
	e.SetWarn(d.Warn)
	for _, w := range r.opts.Settings.Protect.tagWarnings(*in) {
		e.AddWarn(policy.Reason{Policy: "reaper", Reason: w})
	}
	switch {
	case !g.passed():
		e.Action, e.SkipReason = g.action, g.reason
	case d.Err != nil:
		e.Action = ActionKept
		e.AddWarn(policy.Reason{Policy: "reaper", Reason: "policy evaluation failed: " + d.Err.Error()})
		r.log.Warn("policy evaluation failed", "instance_id", in.ID, "error", d.Err)
	case len(d.Exempt) > 0:
		e.Action = ActionExempt
	case d.Candidate():
		e.Action = ActionMarked
	default:
		e.Action = ActionKept
	}
	return e
}

// evalChunk bounds how many policy input documents are alive at once.
const evalChunk = 8192

// evaluate runs the policies over inv, a chunk at a time, and returns one decision per instance
// in inventory order.
func (r *Reconciler) evaluate(ctx context.Context, now time.Time, inv []zen.Instance, traffic map[string]*policy.Traffic) ([]policy.Decision, error) {
	decisions := make([]policy.Decision, len(inv))
	err := r.evaluateEach(ctx, now, inv, traffic, nil, func(i int, d policy.Decision) { decisions[i] = d })
	if err != nil {
		return nil, err
	}
	return decisions, nil
}

// evaluateEach gives each instance's decision to use with its index in inv, in inventory order:
// the decision made early (during the listing, see early) when there is one, else one from the
// policies, run over the other instances a chunk of evalChunk at a time. On an error it stops and
// returns it; use may then have seen the decisions of earlier chunks.
func (r *Reconciler) evaluateEach(ctx context.Context, now time.Time, inv []zen.Instance, traffic map[string]*policy.Traffic, done *early, use func(i int, d policy.Decision)) error {
	inputs := make([]policy.Instance, 0, min(len(inv), evalChunk))
	for start := 0; start < len(inv); {
		inputs = inputs[:0]
		end := start
		for ; end < len(inv) && len(inputs) < evalChunk; end++ {
			if !done.decided(end) {
				inputs = append(inputs, cycleInput(&inv[end], traffic[inv[end].ID]))
			}
		}
		var ds []policy.Decision
		if len(inputs) > 0 {
			var err error
			if ds, err = r.decideChunk(ctx, now, inputs); err != nil {
				return err
			}
		}
		k := 0
		for i := start; i < end; i++ {
			d, ok := done.take(i)
			if !ok {
				d = ds[k]
				k++
			}
			use(i, d)
		}
		start = end
	}
	return nil
}

// decideChunk evaluates one chunk of policy inputs: one decision per input, in order.
func (r *Reconciler) decideChunk(ctx context.Context, now time.Time, inputs []policy.Instance) ([]policy.Decision, error) {
	ds, err := r.opts.Evaluator.Evaluate(ctx, now, r.opts.Settings.Params, inputs)
	if err == nil && len(ds) != len(inputs) {
		err = fmt.Errorf("policy engine returned %d decisions for %d instances", len(ds), len(inputs))
	}
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// enrichShare is the part of a cycle's remaining time that fetching traffic may take. The rest is
// kept for policy, plan and act, so a cold traffic cache over a large fleet warms up over several
// cycles (what was fetched is cached) instead of timing every cycle out.
const enrichShare = 0.5

// enrich fetches traffic for the survivors; passed says whether any instance passed the guards
// (the enricher is asked, and logs, exactly when one did, even if none of them can get traffic).
// A failure or a spent budget costs the data, never the cycle: missing traffic never makes an
// instance idle. Only an internal error (a panic in a traffic worker, a *safego.PanicError) is
// returned: it aborts the cycle.
func (r *Reconciler) enrich(ctx context.Context, now time.Time, survivors []zen.Instance, passed bool, res *Result) (map[string]*policy.Traffic, error) {
	if r.opts.Enricher == nil || !passed {
		return nil, nil
	}
	if deadline, ok := ctx.Deadline(); ok { // a context deadline is wall-clock time by nature
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(float64(time.Until(deadline))*enrichShare))
		defer cancel()
	}
	traffic, calls, err := r.opts.Enricher.Enrich(ctx, now, r.opts.Settings.Params, survivors)
	res.TrafficCalls = calls
	if pe := (*safego.PanicError)(nil); errors.As(err, &pe) {
		return nil, err
	}
	if err != nil {
		r.log.Warn("traffic enrichment incomplete", "error", err, "traffic_calls", calls)
	}
	return traffic, nil
}

// PolicyInput turns an instance into the document policies see as input.instance, as a person
// reads it (`reaper inventory`): cycleInput's document with input.instance.tags filled in.
func PolicyInput(in zen.Instance, tr *policy.Traffic) policy.Instance {
	doc := cycleInput(&in, tr)
	doc.Tags = withoutMarkTags(in.TagList).First() // built for this document only: the instance keeps its pairs alone
	if doc.Tags == nil {
		doc.Tags = map[string]string{}
	}
	return doc
}

// cycleInput is the document a cycle evaluates for in. The policy engine derives age_seconds
// from the evaluation time and CreatedAt, and input.instance.tags from the list (the first value
// of each key, policy.Instance), so that a cycle does not build a map of every instance's tags
// (issue 14: a map per instance was a twentieth of a warm cycle's garbage). reaper's own mark
// tags are left out (IsMarkTag): what reaper wrote is never input for a decision (README, Mark
// tags).
func cycleInput(in *zen.Instance, tr *policy.Traffic) policy.Instance {
	pairs := withoutMarkTags(in.TagList)
	list := make([]policy.Tag, len(pairs))
	for i, t := range pairs {
		list[i] = policy.Tag{Key: t.Key, Value: t.Value}
	}
	return policy.Instance{
		ID: in.ID, Name: in.Name, Hostname: in.Hostname, Zone: in.Zone, Type: in.Type,
		Status: string(in.Status), ChargeType: string(in.ChargeType), InternetChargeType: in.InternetChargeType,
		CreatedAt: in.CreatedAt.UTC(), ExpiresAt: in.ExpiresAt, AutoRenew: in.AutoRenew,
		PeriodMonths:  in.PeriodMonths,
		ResourceGroup: policy.ResourceGroup{ID: in.ResourceGroupID, Name: in.ResourceGroupName},
		TagList:       list, PublicIPs: nonNil(in.PublicIPs), PrivateIPs: nonNil(in.PrivateIPs),
		Traffic: tr,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
