package pgstate

import (
	"context"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/statetest"
)

// TestApprovalQueue runs the approval queue's conformance suite against PostgreSQL.
func TestApprovalQueue(t *testing.T) {
	statetest.RunQueue(t, func(t *testing.T) statetest.Queue { return openTest(t) })
}

// TestApprovalQueueOrder: approvals come back in the order queued, whatever their queue times say.
func TestApprovalQueueOrder(t *testing.T) {
	statetest.RunQueueOrder(t, func(t *testing.T) statetest.Queue { return openTest(t) })
}

// TestMalformedApprovalRow: a row that is not an approval (written by hand) is returned with Err
// set, never decoded into something to act on, and can be finished as rejected.
func TestMalformedApprovalRow(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, "INSERT INTO approvals (plan_run_id, doc) VALUES ('r9', '{\"plan_run_id\": \"r9\", \"surprise\": 1}')"); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingApprovals()
	if err != nil || len(pending) != 1 || pending[0].Err == nil {
		t.Fatalf("PendingApprovals = %+v, %v; want one with Err", pending, err)
	}
	o := state.ApprovalOutcome{Status: state.ApprovalRejected, ExitCode: 1, Reason: pending[0].Err.Error(), FinishedAt: time.Now()}
	if err := s.FinishApproval(pending[0].ID, o); err != nil {
		t.Fatal(err)
	}
	if pending, err := s.PendingApprovals(); err != nil || len(pending) != 0 {
		t.Errorf("pending after rejecting = %+v, %v", pending, err)
	}
	if err := s.FinishApproval(pending[0].ID, o); err == nil {
		t.Error("finishing an approval twice is not an error")
	}
}

// TestFinishApprovalIsOneTransaction: on PostgreSQL the outcome and taking the approval off the
// queue are one UPDATE, in the transaction that also prunes old outcomes. A real fault in that
// transaction (a trigger that fails the prune, so the tests hold as root) leaves the approval
// waiting with no outcome, never recorded but still pending or the reverse; once the fault is
// gone it is finished once.
func TestFinishApprovalIsOneTransaction(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	id := queueApproval(t, s, "r1", at)
	for _, q := range []string{
		`CREATE FUNCTION fail_prune() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: prune fails'; END $$`,
		`CREATE TRIGGER fail_prune BEFORE DELETE ON approvals FOR EACH STATEMENT EXECUTE FUNCTION fail_prune()`,
	} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	o := state.ApprovalOutcome{PlanRunID: "r1", Status: state.ApprovalApplied, RunID: "r2", ExitCode: 3, FinishedAt: at.Add(time.Minute)}
	if err := s.FinishApproval(id, o); err == nil {
		t.Fatal("FinishApproval succeeded with the prune failing: the fault did not hold")
	}
	if _, ok, err := s.ApprovalOutcome(id); ok || err != nil {
		t.Errorf("after a failed finish: outcome recorded = %v, %v; want none", ok, err)
	}
	if p, err := s.PendingApprovals(); err != nil || len(p) != 1 || p[0].ID != id {
		t.Errorf("after a failed finish: PendingApprovals = %+v, %v; want %s still waiting", p, err, id)
	}
	if _, err := s.pool.Exec(ctx, `DROP TRIGGER fail_prune ON approvals`); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishApproval(id, o); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PendingApprovals(); err != nil || len(p) != 0 {
		t.Errorf("PendingApprovals = %+v, %v; want none", p, err)
	}
	if got, ok, err := s.ApprovalOutcome(id); !ok || err != nil || got.ExitCode != 3 {
		t.Errorf("ApprovalOutcome = %+v, %v, %v", got, ok, err)
	}
}
