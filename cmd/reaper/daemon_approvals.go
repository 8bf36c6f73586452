package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
)

// pollApprovals looks for queued approvals every approvalPoll between cycles; job looks at the
// start of each cycle. Both hold cycleMu, so an approval is never applied during a cycle.
func (d *daemon) pollApprovals(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-after(d.env, approvalPoll):
		}
		d.lockedDrain(ctx)
	}
}

// lockedDrain drains the queue holding cycleMu, released even when the drain panics (the panic
// stops the daemon; its shutdown must not wait on the lock).
func (d *daemon) lockedDrain(ctx context.Context) {
	d.cycleMu.Lock()
	defer d.cycleMu.Unlock()
	d.drainApprovals(ctx)
}

// approvalTaken is called after an approval was acted on and before its outcome is recorded;
// tests replace it to stop the daemon there, as a crash would.
var approvalTaken = func(id string) {}

// drainApprovals applies the queued approvals, oldest first, if this reaper leads. The caller
// holds cycleMu. Each approval is first taken (state.ApprovalTake, fenced by leadership on a
// shared state: a reaper that lost it takes nothing), then leaves the queue with its outcome
// recorded by that take: applied (the apply wrote its report, whatever it did; or an earlier take
// that stopped before recording its outcome had claimed the plan), refused (a check failed;
// logged with the plan's run ID and the reason), or rejected (a malformed entry, never acted on;
// logged as an error).
func (d *daemon) drainApprovals(ctx context.Context) {
	pending, err := d.queue.PendingApprovals()
	if err != nil {
		d.log.Error("cannot read the approval queue", "error", err)
		return
	}
	if len(pending) == 0 || ctx.Err() != nil {
		return
	}
	if !d.campaign(ctx) {
		d.log.Debug("approvals wait for the leader; standing by", "approvals", len(pending))
		return
	}
	for _, a := range pending {
		if ctx.Err() != nil {
			return
		}
		if out, ok := d.unfinished[a.ID]; ok {
			if a.Taken != nil && a.Taken.RunID == out.Take {
				// Still this reaper's take: record what it did, never act on it again.
				if err := d.queue.FinishApproval(a.ID, out); err != nil {
					d.log.Error("cannot finish an approval; the next look tries again", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "error", err)
					continue
				}
				delete(d.unfinished, a.ID)
				continue
			}
			delete(d.unfinished, a.ID) // another reaper took it over since: it is taken over again, as any take left unfinished
		}
		now := d.env.now().UTC()
		take := state.ApprovalTake{Node: d.node, RunID: report.NewRunID(now), At: now}
		if d.lead != nil {
			take.Session = d.lead.Session()
		}
		if err := d.queue.TakeApproval(a.ID, take); err != nil {
			d.log.Warn("approval not taken; this reaper does not act on it", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "error", err)
			if errors.Is(err, state.ErrNotTaken) {
				return // this reaper no longer leads (or the approval was finished meanwhile): it takes nothing more
			}
			continue // this entry cannot be taken (a name no take can be written for, a write that failed): the others still can
		}
		if a.Taken != nil {
			d.log.Warn("approval taken over from a reaper that did not record its outcome", "approval_id", a.ID, "plan_run_id", a.PlanRunID,
				"taken_by", a.Taken.Node, "taken_run_id", a.Taken.RunID, "taken_at", a.Taken.At)
		}
		out, resolved, err := d.appliedByEarlierTake(a)
		if err != nil {
			d.log.Error("cannot read the plan's claim; the approval waits for the next look", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "error", err)
			continue
		}
		if !resolved {
			out = d.takeApproval(ctx, a, take.RunID)
		}
		approvalTaken(a.ID)
		out.Node, out.FinishedAt, out.Take = d.node, d.env.now().UTC(), take.RunID
		if err := d.queue.FinishApproval(a.ID, out); err != nil {
			d.log.Error("cannot finish an approval; the next look records its outcome", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "error", err)
			d.unfinished[a.ID] = out
		}
	}
}

// takeApproval makes every check of `reaper apply` against the daemon's config as it is now, and
// applies the plan through the same path, as run runID. An approval an earlier take left
// unfinished whose run claimed the plan meanwhile is not refused: that run applied it.
func (d *daemon) takeApproval(ctx context.Context, a state.PendingApproval, runID string) state.ApprovalOutcome {
	if a.Err != nil {
		d.log.Error("malformed approval set aside, not acted on", "approval_id", a.ID, "error", a.Err)
		return state.ApprovalOutcome{PlanRunID: a.PlanRunID, Status: state.ApprovalRejected, ExitCode: exitFailure,
			Reason: "malformed approval: " + a.Err.Error()}
	}
	refused := func(err error) state.ApprovalOutcome {
		reason := strings.Join(strings.Fields(err.Error()), " ")
		d.log.Warn("approval refused", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "by", a.By, "reason", reason)
		return refusedOutcome(a, reason)
	}
	if d.forceDry {
		return refused(fmt.Errorf("the running reaper was started with --dry-run; apply plan %s with reaper apply once it is stopped", a.PlanRunID))
	}
	d.mu.Lock()
	rt, ann := d.rt, d.ann
	d.mu.Unlock()
	ap, err := checkPlan(rt, d.path, "plan "+a.PlanRunID, a.Plan, a.Only, a.Exclude, d.env.now())
	if err != nil {
		return refused(err)
	}
	if ap.plan.RunID != a.PlanRunID {
		return refused(fmt.Errorf("the approval names plan %s but holds plan %s", a.PlanRunID, ap.plan.RunID))
	}
	timeout, err := cycleDeadline(rt.cfg, d.env.now())
	if err != nil {
		return refused(err)
	}
	ctx, cancel := withDeadline(ctx, timeout, "cycle_timeout")
	defer cancel()
	d.log.Info("applying a queued approval", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "by", a.By,
		"queued_at", a.QueuedAt, "items", len(ap.items))
	app := applier{env: d.env, log: d.log, store: d.store, fence: fencer(d.lead), metrics: d.metrics, notify: ann}
	run, res, err := app.apply(ctx, rt, ap, runID)
	if res == nil || isRefusal(res.Err) {
		// Refused before it started (err), or by the plan's claim once it had (res.Err): the
		// earlier taker may have claimed the plan meanwhile (it lost leadership while applying,
		// and its apply went on until its first fence).
		if out, ok, _ := d.appliedByEarlierTake(a); ok {
			return out
		}
	}
	if res == nil {
		if isRefusal(err) {
			return refused(err)
		}
		d.log.Error("queued approval failed before it started", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "error", err)
		return state.ApprovalOutcome{PlanRunID: a.PlanRunID, Status: state.ApprovalRefused, ExitCode: exitFailure, Reason: err.Error()}
	}
	out := state.ApprovalOutcome{PlanRunID: a.PlanRunID, Status: state.ApprovalApplied, RunID: res.RunID, ExitCode: applyExit(res, err)}
	var why []string
	if res.Err != nil {
		why = append(why, apiError(reconcile.CommandApply, res.Err).Error())
	}
	if err != nil {
		why = append(why, err.Error())
	}
	if run == nil {
		why = append(why, "its report was not written")
	}
	out.Reason = strings.Join(why, "; ")
	d.log.Info("queued approval applied", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "run_id", res.RunID,
		"result", string(res.Status), "exit_code", out.ExitCode)
	return out
}

// appliedByEarlierTake returns, when an earlier take of a left the approval unfinished and the
// plan's claim names that take's run, the outcome that run leaves: the plan was applied by it,
// though whoever applied it stopped (a crash, a lost leadership) before recording the outcome.
// Its exit code is 1: what the run did is in its report, if it was written, and its unfinished
// terminations are resolved by the next cycle's intents.
// err is set when the claim cannot be read: then nothing is known and no outcome may be recorded.
func (d *daemon) appliedByEarlierTake(a state.PendingApproval) (state.ApprovalOutcome, bool, error) {
	if a.Taken == nil || a.Taken.RunID == "" || a.Err != nil {
		return state.ApprovalOutcome{}, false, nil
	}
	claim, ok, err := d.store.Meta(reconcile.AppliedKey(a.PlanRunID))
	if err != nil {
		return state.ApprovalOutcome{}, false, err
	}
	if !ok || reconcile.ClaimRun(claim) != a.Taken.RunID {
		return state.ApprovalOutcome{}, false, nil
	}
	reason := fmt.Sprintf("interrupted: the reaper that took this approval (node %s, at %s) applied plan %s as run %s (claimed %s) "+
		"but did not record the outcome (it stopped, or lost leadership); what the run did: reaper report show %s (no report: it was cut short, and the next cycle resolves its unfinished terminations)",
		a.Taken.Node, a.Taken.At.UTC().Format(time.RFC3339), a.PlanRunID, a.Taken.RunID, claim, a.Taken.RunID)
	d.log.Warn("approval applied by an earlier take that did not record its outcome", "approval_id", a.ID, "plan_run_id", a.PlanRunID,
		"run_id", a.Taken.RunID, "taken_by", a.Taken.Node)
	return state.ApprovalOutcome{PlanRunID: a.PlanRunID, Status: state.ApprovalApplied, RunID: a.Taken.RunID, ExitCode: exitFailure,
		Reason: reason}, true, nil
}
