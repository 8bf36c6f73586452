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
