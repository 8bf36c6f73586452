package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/state"
)

// approvalQueue is where `reaper apply` leaves an approval for the running reaper: the inbox of a
// bbolt state directory (*state.Inbox) or the shared approvals table (*pgstate.Store).
type approvalQueue interface {
	QueueApproval(a state.Approval) (string, error)
	PendingApprovals() ([]state.PendingApproval, error)
	TakeApproval(id string, t state.ApprovalTake) error
	FinishApproval(id string, o state.ApprovalOutcome) error
	ApprovalOutcome(id string) (state.ApprovalOutcome, bool, error)
	ApprovalOutcomes() ([]state.ApprovalOutcome, error)
}

// exitWaitTimeout is `reaper apply --wait` giving up before the daemon answered; the approval
// stays queued.
const exitWaitTimeout = 4

const (
	// approvalPoll is how often the daemon looks for queued approvals between cycles. It is not a
	// whole number of seconds, so on a fake clock its wake-ups never coincide with a schedule's.
	approvalPoll = 14500 * time.Millisecond
	// approvalWaitPoll is how often `apply --wait` looks for the daemon's outcome.
	approvalWaitPoll = time.Second
)

// queueFor returns the approval queue of cfg's state: the shared table when store is shared, the
// state directory's inbox otherwise.
func queueFor(cfg *config.Config, store state.Backend) approvalQueue {
	if q, ok := store.(approvalQueue); ok {
		return q
	}
	return state.NewInbox(cfg.StateDir)
}

// queueApproval hands ap to the reaper that holds the state (held says how it holds it): every
// check that needs no state was made; the daemon makes them all again, against its config, before
// it acts. It prints one line saying so and, with --wait, waits for the daemon's outcome.
func queueApproval(ctx context.Context, env Env, o applyOptions, cfg *config.Config, ap *approvedPlan, data []byte, q approvalQueue, held error) int {
	pending, err := q.PendingApprovals()
	if err != nil {
		return fail(env, err)
	}
	for _, p := range pending {
		if p.Err == nil && p.PlanRunID == ap.plan.RunID {
			return refuse(env, fmt.Errorf("plan %s is already queued for the running reaper (approval %s)", ap.plan.RunID, p.ID))
		}
	}
	done, err := q.ApprovalOutcomes()
	if err != nil {
		return fail(env, err)
	}
	for _, d := range done {
		if d.PlanRunID == ap.plan.RunID && d.Status == state.ApprovalApplied {
			return refuse(env, fmt.Errorf("plan %s was already applied (by run %s); make a new plan", ap.plan.RunID, d.RunID))
		}
	}
	id, err := q.QueueApproval(state.Approval{PlanRunID: ap.plan.RunID, Plan: data, Only: nonNil(o.only), Exclude: nonNil(o.exclude),
		By: operator(env), QueuedAt: env.now().UTC()})
	if err != nil {
		return fail(env, err)
	}
	why := strings.Join(strings.Fields(held.Error()), " ")
	fmt.Fprintf(env.Stdout, "plan %s queued as approval %s for the running reaper (%s): it applies the plan within %s, after any cycle in progress; its report: reaper report list --config %s\n",
		ap.plan.RunID, id, inert.Text(why), approvalPoll.Round(time.Second), configPath(env, o.config))
	if o.wait <= 0 {
		return exitOK
	}
	return waitApproval(ctx, env, q, id, o.wait)
}

// waitApproval waits up to d for the outcome of approval id and exits as the apply did.
func waitApproval(ctx context.Context, env Env, q approvalQueue, id string, d time.Duration) int {
	deadline := after(env, d)
	for {
		out, ok, err := q.ApprovalOutcome(id)
		if err != nil {
			return fail(env, err)
		}
		if ok {
			return reportOutcome(env, out)
		}
		select {
		case <-ctx.Done():
			return fail(env, fmt.Errorf("stopped waiting for approval %s: %w", id, context.Cause(ctx)))
		case <-deadline:
			fmt.Fprintf(env.Stderr, "reaper: no outcome for approval %s after %s; it stays queued (reaper report list shows the apply once it ran)\n", id, d)
			return exitWaitTimeout
		case <-after(env, approvalWaitPoll):
		}
	}
}

// reportOutcome prints what the daemon did with an approval and returns the apply's exit code.
func reportOutcome(env Env, o state.ApprovalOutcome) int {
	switch o.Status {
	case state.ApprovalApplied:
		fmt.Fprintf(env.Stdout, "applied by the running reaper (node %s) as run %s (exit %d): reaper report show %s\n",
			inert.Text(o.Node), o.RunID, o.ExitCode, o.RunID)
		if o.Reason != "" {
			fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(o.Reason))
		}
	default:
		refuse(env, errors.New(o.Reason))
	}
	return o.ExitCode
}

// after is a channel that fires after d on env's clock.
func after(env Env, d time.Duration) <-chan time.Time {
	if env.Clock != nil {
		return env.Clock.After(d)
	}
	return time.After(d)
}

// operator names who ran `reaper apply`: the user (the one behind sudo, when there is one) and
// the host.
func operator(env Env) string {
	name := env.Getenv("SUDO_USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// refusedOutcome is the outcome of an approval refused before it was applied.
func refusedOutcome(a state.PendingApproval, reason string) state.ApprovalOutcome {
	return state.ApprovalOutcome{PlanRunID: a.PlanRunID, Status: state.ApprovalRefused, ExitCode: exitFailure, Reason: reason}
}
