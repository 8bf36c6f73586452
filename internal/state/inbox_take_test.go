package state_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestInboxTake: a take is recorded whole and shown with the pending approval until its outcome
// is recorded; a later take (the restarted daemon's) replaces it; a finished approval is not taken
// again and its take is gone.
func TestInboxTake(t *testing.T) {
	b := state.NewInbox(t.TempDir())
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	id, err := b.QueueApproval(state.Approval{PlanRunID: "r1", Plan: []byte("{}"), QueuedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	taken := func() *state.ApprovalTake {
		t.Helper()
		p, err := b.PendingApprovals()
		if err != nil || len(p) != 1 {
			t.Fatalf("PendingApprovals = %+v, %v; want one", p, err)
		}
		return p[0].Taken
	}
	if got := taken(); got != nil {
		t.Fatalf("a fresh approval is taken: %+v", got)
	}
	for _, run := range []string{"run-1", "run-2"} {
		want := state.ApprovalTake{Node: "bastion", RunID: run, At: at}
		if err := b.TakeApproval(id, want); err != nil {
			t.Fatalf("take by %s: %v", run, err)
		}
		if got := taken(); got == nil || *got != want {
			t.Errorf("take = %+v, want %+v", got, want)
		}
	}
	fi, err := os.Stat(filepath.Join(b.Dir(), "taken", id+".json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("take file: %v, %v; want 0600", fi, err)
	}
	if err := b.FinishApproval(id, state.ApprovalOutcome{Status: state.ApprovalApplied, RunID: "run-2", Take: "run-2", FinishedAt: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b.Dir(), "taken", id+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the take of a finished approval is kept: %v", err)
	}
	if err := b.TakeApproval(id, state.ApprovalTake{RunID: "run-3"}); !errors.Is(err, state.ErrNotTaken) {
		t.Errorf("taking a finished approval: %v, want ErrNotTaken", err)
	}
}
