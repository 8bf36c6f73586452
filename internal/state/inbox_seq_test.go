package state_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestInboxSequenceConcurrent: approvals queued at once by several writers (each its own Inbox and
// file descriptor, as separate `reaper apply` processes are) get distinct numbers, 1 to n, and
// come back in the order of their numbers.
func TestInboxSequenceConcurrent(t *testing.T) {
	dir := t.TempDir()
	if err := state.NewInbox(dir).Prepare(); err != nil {
		t.Fatal(err)
	}
	const n = 24
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id, err := state.NewInbox(dir).QueueApproval(state.Approval{PlanRunID: "r", Plan: []byte("{}"), QueuedAt: time.Unix(0, 0)})
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	numbers := make([]string, n)
	for i, id := range ids {
		numbers[i] = strings.SplitN(id, "-", 2)[0]
	}
	slices.Sort(numbers)
	for i, num := range numbers {
		if want := fmt.Sprintf("q%020d", i+1); num != want {
			t.Fatalf("approval numbers %q, want q…1 to q…%d each once", numbers, n)
		}
	}
	pending, err := state.NewInbox(dir).PendingApprovals()
	if err != nil || len(pending) != n {
		t.Fatalf("PendingApprovals = %d, %v; want %d", len(pending), err, n)
	}
	for i := 1; i < n; i++ {
		if pending[i-1].ID >= pending[i].ID {
			t.Errorf("pending out of order at %d: %s before %s", i, pending[i-1].ID, pending[i].ID)
		}
	}
}

// TestInboxSequenceUnreadable: a sequence file that does not hold a number refuses the approval,
// naming the file, instead of numbering from 1 again (which could sort a new approval before one
// still waiting); nothing is queued.
func TestInboxSequenceUnreadable(t *testing.T) {
	dir := t.TempDir()
	b := state.NewInbox(dir)
	if _, err := b.QueueApproval(state.Approval{PlanRunID: "r", Plan: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	seq := filepath.Join(b.Dir(), "sequence")
	if err := os.WriteFile(seq, []byte("seven\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := b.QueueApproval(state.Approval{PlanRunID: "r", Plan: []byte("{}")})
	if err == nil || !strings.Contains(err.Error(), seq) || !strings.Contains(err.Error(), `"seven"`) {
		t.Fatalf("QueueApproval with a corrupt sequence = %v; want an error naming %s and its content", err, seq)
	}
	if pending, err := b.PendingApprovals(); err != nil || len(pending) != 1 {
		t.Errorf("PendingApprovals = %+v, %v; want only the first approval (the sequence file is not an entry)", pending, err)
	}
}

// TestInboxOldIDsFirst: an approval queued by an earlier version (named by its queue time) is
// still read, comes before the numbered ones, and can be finished.
func TestInboxOldIDsFirst(t *testing.T) {
	dir := t.TempDir()
	b := state.NewInbox(dir)
	newID, err := b.QueueApproval(state.Approval{PlanRunID: "r2", Plan: []byte("{}"), By: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	oldID := "01796353200000000000-65d2fbe33634b274"
	body := `{"plan_run_id": "r1", "plan": "e30=", "by": "ops", "queued_at": "2026-12-04T03:00:00Z"}`
	if err := os.WriteFile(filepath.Join(b.Dir(), oldID+".json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	pending, err := b.PendingApprovals()
	if err != nil || len(pending) != 2 || pending[0].ID != oldID || pending[0].Err != nil || pending[0].PlanRunID != "r1" || pending[1].ID != newID {
		t.Fatalf("PendingApprovals = %+v, %v; want %s (old) then %s", pending, err, oldID, newID)
	}
	if err := b.FinishApproval(oldID, state.ApprovalOutcome{PlanRunID: "r1", Status: state.ApprovalApplied, FinishedAt: time.Now()}); err != nil {
		t.Fatalf("FinishApproval of an old ID: %v", err)
	}
	if o, ok, err := b.ApprovalOutcome(oldID); err != nil || !ok || o.Status != state.ApprovalApplied {
		t.Errorf("ApprovalOutcome(%s) = %+v, %v, %v", oldID, o, ok, err)
	}
}
