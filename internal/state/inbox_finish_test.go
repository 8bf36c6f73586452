package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFinishedApprovalNeverPendingAgain: recording an approval's outcome takes it off the queue in
// one step. When taking its file out of the inbox fails after the outcome was written (a fault
// injected into the inbox, so it holds when the tests run as root), the approval is not pending
// again: not to this inbox, not to a new one on the same directory (a restarted daemon, which no
// longer remembers what it finished), and not after the outcome's keep time has passed. The next
// look takes the file away; a second outcome for it is refused and changes nothing. Before, such
// an entry was taken again after a restart: a plan whose apply was blocked (exit 3, reported to
// the operator) could be applied by the second take.
func TestFinishedApprovalNeverPendingAgain(t *testing.T) {
	for _, status := range []string{ApprovalApplied, ApprovalRefused, ApprovalRejected} {
		t.Run(status, func(t *testing.T) {
			dir := t.TempDir()
			b := NewInbox(dir)
			at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
			id, err := b.QueueApproval(Approval{PlanRunID: "r1", Plan: []byte("{}"), By: "ops@bastion", QueuedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			fault := errors.New("injected: the entry cannot be taken away")
			b.remove = func(string) error { return fault }
			b.rename = func(string, string) error { return fault }
			blocked := ApprovalOutcome{PlanRunID: "r1", Status: status, RunID: "r2", ExitCode: 3, FinishedAt: at.Add(time.Minute)}
			if err := b.FinishApproval(id, blocked); !errors.Is(err, fault) {
				t.Errorf("FinishApproval with the removal failing = %v, want the fault", err)
			}
			if _, err := os.Stat(filepath.Join(b.Dir(), id+".json")); err != nil {
				t.Fatalf("the fault did not hold: the entry is gone (%v)", err)
			}
			restarted := NewInbox(dir)
			restarted.remove, restarted.rename = b.remove, b.rename
			for name, q := range map[string]*Inbox{"same inbox": b, "restarted": restarted} {
				if p, err := q.PendingApprovals(); err != nil || len(p) != 0 {
					t.Errorf("%s: PendingApprovals = %+v, %v; want none (its outcome is recorded)", name, p, err)
				}
			}
			if o, ok, err := restarted.ApprovalOutcome(id); !ok || err != nil || o.Status != status || o.ExitCode != 3 {
				t.Errorf("ApprovalOutcome = %+v, %v, %v; want the recorded one", o, ok, err)
			}
			// Another approval finished past the keep time prunes old outcomes, but not this one.
			other, err := b.QueueApproval(Approval{PlanRunID: "r3", Plan: []byte("{}"), QueuedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			b.remove, b.rename = os.Remove, os.Rename
			late := ApprovalOutcome{PlanRunID: "r3", Status: ApprovalRefused, ExitCode: 1, FinishedAt: at.Add(ApprovalOutcomeKeep + time.Hour)}
			b.remove = func(name string) error {
				if filepath.Base(name) == id+".json" {
					return fault
				}
				return os.Remove(name)
			}
			b.rename = func(from, to string) error {
				if filepath.Base(from) == id+".json" {
					return fault
				}
				return os.Rename(from, to)
			}
			if err := b.FinishApproval(other, late); err != nil {
				t.Fatal(err)
			}
			if p, err := restarted.PendingApprovals(); err != nil || len(p) != 0 {
				t.Errorf("after pruning: PendingApprovals = %+v, %v; want none", p, err)
			}
			// The fault is gone: the next look takes the file away, as its outcome says.
			restarted.remove, restarted.rename = os.Remove, os.Rename
			if p, err := restarted.PendingApprovals(); err != nil || len(p) != 0 {
				t.Errorf("PendingApprovals = %+v, %v; want none", p, err)
			}
			if _, err := os.Stat(filepath.Join(b.Dir(), id+".json")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the finished entry is still in the inbox: %v", err)
			}
			_, err = os.Stat(filepath.Join(b.Dir(), inboxReject, id+".json"))
			if moved := err == nil; moved != (status == ApprovalRejected) {
				t.Errorf("entry in inbox/rejected: %v, want %v", moved, status == ApprovalRejected)
			}
			// An outcome is a fact: a second one is refused.
			if err := restarted.FinishApproval(id, ApprovalOutcome{Status: ApprovalApplied, ExitCode: 0, FinishedAt: at}); err == nil {
				t.Error("a second outcome for a finished approval was accepted")
			}
			if o, _, _ := restarted.ApprovalOutcome(id); o.Status != status || o.ExitCode != 3 {
				t.Errorf("outcome after a second finish = %+v, want the first", o)
			}
		})
	}
}
