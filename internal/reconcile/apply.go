package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Ledger remembers which plans were applied; state.Backend implements it. Apply claims a plan's
// key with ClaimMeta before its first intent, so that of two applies of one plan (on one host or
// on several sharing PostgreSQL) at most one acts.
type Ledger interface {
	Meta(key string) (value string, ok bool, err error)
	ClaimMeta(key, value string) (prior string, claimed bool, err error)
}

// AppliedKey is the state meta key under which an applied plan is remembered.
func AppliedKey(planRunID string) string { return "plan_applied." + planRunID }

// claimText is the value of an applied plan's key: the run that claimed it, and when.
func claimText(runID string, at time.Time) string {
	return fmt.Sprintf("by run %s at %s", runID, at.Format(time.RFC3339))
}

// ClaimRun returns the run named by the value of an applied plan's key ("" when the value is not
// one Apply writes).
func ClaimRun(value string) string {
	rest, ok := strings.CutPrefix(value, "by run ")
	if !ok {
		return ""
	}
	run, _, ok := strings.Cut(rest, " at ")
	if !ok {
		return ""
	}
	return run
}

// ApplyItem is one item of an approved plan (README, Plans and approval).
type ApplyItem struct {
	ID          string
	Name        string
	DueAt       time.Time
	Reasons     []policy.Reason
	Fingerprint string
}

// ApplyCycle describes one apply of an approved plan. The plan file's own checks (digest,
// expiry, endpoint, config and policy digests) are the caller's, before Apply.
type ApplyCycle struct {
	RunID     string
	PlanRunID string
	// InventorySize is the plan's inventory_size: the percent limit counts against it.
	InventorySize int
	// Items are the plan's items that --only and --exclude left: the due set.
	Items []ApplyItem
	// Fingerprint is how the plan fingerprinted an instance; a fresh description with another
	// fingerprint is skipped as changed.
	Fingerprint func(zen.Instance) string
}

// RefusedError is an apply that did not start: the mode does not allow it or the plan was
// already applied. Nothing was described, recorded or terminated.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// Apply acts on exactly an approved plan's items, through the act step of a cycle: the items are
// the due set. Nothing is listed: each item is described again by ID (act's compare-and-act) and
// terminated only when its fingerprint is the plan's, it passes every guard and a policy whose
// mark is due (the plan's due_at) still nominates it; otherwise it is skipped (changed, gone, a
// guard's reason). The blast-radius limits apply to the items, the percent limit against the
// plan's inventory size; a blocked apply acts on nothing and leaves the plan unapplied.
//
// A plan is applied at most once: Apply refuses one whose key is in the ledger, and claims the
// key before the first intent. A claim is never released, so an apply that stops part way (a
// crash, a failed call, a cancellation) leaves the plan applied: the items it did not reach wait
// for a new plan. This fails closed.
func (r *Reconciler) Apply(ctx context.Context, c ApplyCycle, l Ledger) (*Result, error) {
	perm := Permit(r.opts.Settings.Mode, false, CommandApply)
	if !perm.Terminate {
		return nil, &RefusedError{Reason: fmt.Sprintf("apply needs mode: approve or enforce in the config; its mode is %s", perm.Mode)}
	}
	if c.Fingerprint == nil {
		return nil, errors.New("reconcile: ApplyCycle.Fingerprint is required")
	}
	if v, ok, err := l.Meta(AppliedKey(c.PlanRunID)); err != nil {
		return nil, err // the store's error names the read
	} else if ok {
		return nil, &RefusedError{Reason: fmt.Sprintf("plan %s was already applied (%s); make a new plan", c.PlanRunID, v)}
	}
	res := &Result{RunID: c.RunID, Command: CommandApply, PlanRunID: c.PlanRunID, Permissions: perm,
		StartedAt: r.opts.Now().UTC(), InventorySize: c.InventorySize}
	return r.finish(res, r.applyPlan(ctx, res, c, l))
}

func (r *Reconciler) applyPlan(ctx context.Context, res *Result, c ApplyCycle, l Ledger) error {
	clock, _, err := r.checkClock(res.StartedAt)
	if err != nil {
		return r.abort(res, err) // the store's error names the read
	}
	recovered, err := r.recoverIntents(ctx, res.RunID)
	if err != nil {
		return r.abort(res, fmt.Errorf("resolve unfinished intents: %w", err))
	}
	res.Recovered = recovered
	refusals, err := r.opts.Store.Refusals()
	if err != nil {
		return r.abort(res, err) // the store's error names the read
	}
	pending, err := r.opts.Store.Unconfirmed()
	if err != nil {
		return r.abort(res, err) // the store's error names the read
	}
	fingerprints := make(map[string]string, len(c.Items))
	for _, it := range c.Items {
		due := it.DueAt.UTC()
		e := Entry{Instance: &zen.Instance{ID: it.ID, Name: it.Name}, Action: ActionWouldTerminate}
		e.SetTerminate(it.Reasons)
		e.SetDueAt(&due)
		var marks []PolicyMark
		for _, p := range policiesOf(it.Reasons) {
			marks = append(marks, PolicyMark{Policy: p, DueAt: due})
		}
		e.SetMarks(marks)
		fingerprints[it.ID] = it.Fingerprint
		res.Entries = append(res.Entries, e)
	}
	block, err := r.blastRadius(len(res.Entries), c.InventorySize)
	if err != nil {
		return r.abort(res, err)
	}
	if block == nil {
		block = clock
	}
	if block != nil {
		res.Status, res.Block = StatusBlocked, block
		for i := range res.Entries {
			res.Entries[i].Action = ActionBlocked
		}
		block.Due = len(res.Entries)
		r.log.Warn("apply blocked by a safety limit", "run_id", res.RunID, "plan_run_id", c.PlanRunID, "limit", block.Limit, "reason", block.Message)
		return nil
	}
	if len(res.Entries) == 0 {
		return nil
	}
	if err := r.enrichItems(ctx, res); err != nil {
		return r.abort(res, err)
	}
	// The claim is written to the shared state: only a leader makes it (as only a leader writes
	// the marks). A reaper cut off meanwhile would burn the plan it then cannot act on.
	if err := r.fence(ctx, "claim", "plan "+c.PlanRunID); err != nil {
		return r.fenced(res, res.indices(ActionWouldTerminate), nil, err)
	}
	claim := claimText(res.RunID, res.StartedAt)
	prior, claimed, err := l.ClaimMeta(AppliedKey(c.PlanRunID), claim)
	if err != nil {
		r.notAttempted(res, res.indices(ActionWouldTerminate))
		res.Status = StatusFailed
		return fmt.Errorf("remember plan %s as applied: %w", c.PlanRunID, err)
	}
	if !claimed {
		r.notAttempted(res, res.indices(ActionWouldTerminate))
		res.Status = StatusFailed
		return &RefusedError{Reason: fmt.Sprintf("plan %s was already applied (%s); make a new plan", c.PlanRunID, prior)}
	}
	changed := func(e *Entry, f zen.Instance) string {
		if want := fingerprints[f.ID]; c.Fingerprint(f) != want {
			return "its " + fingerprintFields + " differ from the plan's"
		}
		return ""
	}
	return r.act(ctx, res, refusals, pending, changed)
}

// fingerprintFields names what an item's fingerprint covers, for the changed warning.
const fingerprintFields = "status, charge type, tags, zone, type or name"

// enrichItems gives the items the traffic data the idle policy needs, as a cycle's enrich step
// does for the survivors of its guards: act re-evaluates the policies with it. Without an
// enricher there is nothing to fetch and nothing is described here.
func (r *Reconciler) enrichItems(ctx context.Context, res *Result) error {
	if r.opts.Enricher == nil {
		return nil
	}
	ids := make([]string, len(res.Entries))
	for i, e := range res.Entries {
		ids[i] = e.Instance.ID
	}
	list, err := r.opts.API.DescribeInstances(ctx, ids)
	if err != nil {
		return fmt.Errorf("describe the plan's items: %w", err)
	}
	traffic, err := r.enrich(ctx, r.opts.Now().UTC(), list, len(list) > 0, res)
	if err != nil {
		return err
	}
	for i := range res.Entries {
		res.Entries[i].Traffic = traffic[res.Entries[i].Instance.ID]
		res.Entries[i].TrafficPending = trafficPending(traffic, res.Entries[i].Instance.ID)
	}
	return nil
}
