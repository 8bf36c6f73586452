package state_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestInboxTakeOfAFinishedApprovalIsRemovedLater: FinishApproval links the outcome into done/
// and only then removes the take (best effort). A reaper that stopped between the two, or a
// removal that failed, leaves taken/<id>.json behind; the outcome makes the approval finished, so
// no later finish removes it. The next look at the queue must take it away, as it does with the
// finished entry's own file.
func TestInboxTakeOfAFinishedApprovalIsRemovedLater(t *testing.T) {
	b := state.NewInbox(t.TempDir())
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	id, err := b.QueueApproval(state.Approval{PlanRunID: "r1", Plan: []byte("{}"), QueuedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	take := state.ApprovalTake{Node: "bastion", RunID: "run-1", At: at}
	if err := b.TakeApproval(id, take); err != nil {
		t.Fatal(err)
	}
	takeFile := filepath.Join(b.Dir(), "taken", id+".json")
	data, err := os.ReadFile(takeFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.FinishApproval(id, state.ApprovalOutcome{Status: state.ApprovalApplied, RunID: "run-1", Take: "run-1", FinishedAt: at}); err != nil {
		t.Fatal(err)
	}
	// What a stop between linking the outcome and removing the take leaves on disk.
	if err := os.WriteFile(takeFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := b.PendingApprovals(); err != nil || len(p) != 0 {
		t.Fatalf("PendingApprovals = %+v, %v; want none", p, err)
	}
	if _, err := os.Stat(takeFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the take of a finished approval is kept after a look at the queue: %v", err)
	}
}
