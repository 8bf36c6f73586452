package state_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/statetest"
)

// TestInboxQueue runs the approval queue's conformance suite against a state directory's inbox.
func TestInboxQueue(t *testing.T) {
	statetest.RunQueue(t, func(t *testing.T) statetest.Queue { return state.NewInbox(t.TempDir()) })
}

// TestInboxWritesPrivateWholeFiles: the inbox is 0700, an entry 0600, and no temporary file is
// left behind; a temporary file of a write in progress is never read as an approval.
func TestInboxWritesPrivateWholeFiles(t *testing.T) {
	dir := t.TempDir()
	b := state.NewInbox(dir)
	id, err := b.QueueApproval(state.Approval{PlanRunID: "r1", Plan: []byte("{}"), QueuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(b.Dir())
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("inbox dir: %v, %v; want 0700", fi.Mode(), err)
	}
	fi, err = os.Stat(filepath.Join(b.Dir(), id+".json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("entry: %v, %v; want 0600", fi.Mode(), err)
	}
	ents, _ := os.ReadDir(b.Dir())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if err := os.WriteFile(filepath.Join(b.Dir(), ".tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	pending, err := b.PendingApprovals()
	if err != nil || len(pending) != 1 || pending[0].ID != id || pending[0].Err != nil {
		t.Errorf("PendingApprovals = %+v, %v; want only %s", pending, err, id)
	}
}

// TestInboxMalformedEntries: whatever else lands in the inbox (junk, a truncated request, an
// unknown field, a request without a plan, a directory) is returned with Err set and is moved
// to inbox/rejected when finished as rejected; a good entry beside them is unaffected.
func TestInboxMalformedEntries(t *testing.T) {
	dir := t.TempDir()
	b := state.NewInbox(dir)
	good, err := b.QueueApproval(state.Approval{PlanRunID: "r1", Plan: []byte("{}"), QueuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"notes.txt": "hello",
		"00000000000000000001-0000000000000000.json": `{"plan_run_id": "r1", "plan": "e30="`,
		"00000000000000000002-0000000000000000.json": `{"plan_run_id": "r1", "plan": "e30=", "by": "x", "extra": true}`,
		"00000000000000000003-0000000000000000.json": `{"plan_run_id": "r1"}`,
		"00000000000000000004-0000000000000000.json": `{"plan_run_id": "r1", "plan": "e30="} {}`,
	}
	for name, body := range bad {
		if err := os.WriteFile(filepath.Join(b.Dir(), name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(b.Dir(), "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	pending, err := b.PendingApprovals()
	if err != nil || len(pending) != len(bad)+2 {
		t.Fatalf("PendingApprovals = %+v, %v; want %d", pending, err, len(bad)+2)
	}
	for _, p := range pending {
		if (p.ID == good) != (p.Err == nil) {
			t.Errorf("entry %s: Err = %v", p.ID, p.Err)
		}
		if p.Err == nil {
			continue
		}
		if err := b.FinishApproval(p.ID, state.ApprovalOutcome{Status: state.ApprovalRejected, ExitCode: 1, Reason: p.Err.Error(), FinishedAt: time.Now()}); err != nil {
			t.Errorf("reject %s: %v", p.ID, err)
		}
	}
	pending, err = b.PendingApprovals()
	if err != nil || len(pending) != 1 || pending[0].ID != good {
		t.Errorf("pending after rejecting = %+v, %v; want only %s", pending, err, good)
	}
	moved, _ := os.ReadDir(filepath.Join(b.Dir(), "rejected"))
	if len(moved) != len(bad)+1 {
		t.Errorf("inbox/rejected holds %d entries, want %d", len(moved), len(bad)+1)
	}
}
