package main

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// TestQueuedApprovalClaimedByEarlierTakeDuringApply: on PostgreSQL, bastion-a took a queued
// approval and lost leadership without noticing (its take is left on the row); bastion-b leads,
// takes the approval over and finds no claim yet, so it applies. While bastion-b describes the
// items, bastion-a (whose own apply went on until its first fence, and whose claim is a plain
// write) claims the plan. bastion-b's claim is then refused after its apply started. The outcome
// must be the one the README promises when the claim names the earlier take's run: applied by
// that run, exit 1, interrupted; not "applied" by bastion-b's run, which applied nothing.
func TestQueuedApprovalClaimedByEarlierTakeDuringApply(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	sim, url := startSim(t, applyFleet())
	pathB, dirB := pgNode(t, url, dsn, "bastion-b")
	pathC, _ := pgNode(t, url, dsn, "bastion-c")

	fs := newFakeSchedule(t, "@every 1m")
	b := startDaemon(t, pathB, map[string]string{}, fs.clock)
	logOnFailure(t, b)
	planFile := daemonPlan(t, fs, dirB) // a cycle ran: bastion-b leads
	id := queuedID(t, reaper(t, "apply", planFile, "--config", pathC, "--exclude", "7703"))
	store := openShared(t, dsn, "shared")
	pending, err := store.PendingApprovals()
	if err != nil || len(pending) != 1 {
		t.Fatalf("PendingApprovals = %+v, %v; want one", pending, err)
	}
	planRun := pending[0].PlanRunID

	// bastion-a's take, left by a session that is gone.
	const runA = "20261204T000000Z-aaaaaa"
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE shared.approvals SET taken_node = 'bastion-a', taken_run = $2, taken_at = now(), taken_session = 1
		WHERE id = $1`, id, runA); err != nil {
		t.Fatal(err)
	}
	// bastion-a claims the plan while bastion-b describes the items.
	var claimed atomic.Bool
	sim.OnCall(func(c zensim.Call) {
		if c.Action == "DescribeInstances" && slices.Contains(c.InstanceIDs, "7701") && claimed.CompareAndSwap(false, true) {
			if _, ok, err := store.ClaimMeta(reconcile.AppliedKey(planRun), "by run "+runA+" at 2026-12-04T00:00:00Z"); err != nil || !ok {
				t.Errorf("bastion-a's claim: %v, %v", ok, err)
			}
		}
	})
	t.Cleanup(func() { sim.OnCall(nil) })
	sim.ResetCalls()
	fs.clock.Advance(approvalPoll)
	o := awaitOutcome(t, store, id)
	if !claimed.Load() {
		t.Fatal("bastion-b applied without describing the items")
	}
	if n := terminateCount(sim); n != 0 {
		t.Errorf("TerminateInstance calls: %d, want none (the plan was claimed by bastion-a)", n)
	}
	if o.Status != state.ApprovalApplied || o.RunID != runA || o.ExitCode != exitFailure || !strings.Contains(o.Reason, "interrupted") {
		t.Errorf("outcome = %+v; want applied by run %s (the plan's claim, bastion-a's take), exit %d, interrupted", o, runA, exitFailure)
	}
}
