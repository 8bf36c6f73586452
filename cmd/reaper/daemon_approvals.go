package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/reaper-bmc/reaper/internal/reconcile"
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
		d.cycleMu.Lock()
		d.drainApprovals(ctx)
		d.cycleMu.Unlock()
	}
}

// drainApprovals applies the queued approvals, oldest first, if this reaper leads. The caller
// holds cycleMu. Every approval leaves the queue with its outcome recorded: applied (the apply
// wrote its report, whatever it did), refused (a check failed; logged with the plan's run ID and
// the reason), or rejected (a malformed entry, never acted on; logged as an error).
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
		if d.finished[a.ID] {
			continue // applied or refused already; only taking it off the queue failed
		}
		out := d.takeApproval(ctx, a)
		out.Node, out.FinishedAt = d.node, d.env.now().UTC()
		if err := d.queue.FinishApproval(a.ID, out); err != nil {
			d.log.Error("cannot finish an approval; this reaper does not take it again", "approval_id", a.ID, "plan_run_id", a.PlanRunID, "error", err)
			d.finished[a.ID] = true
		}
	}
}

// takeApproval makes every check of `reaper apply` against the daemon's config as it is now, and
// applies the plan through the same path.
func (d *daemon) takeApproval(ctx context.Context, a state.PendingApproval) state.ApprovalOutcome {
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
	run, res, err := app.apply(ctx, rt, ap)
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
