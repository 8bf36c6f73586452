package statetest

import (
	"slices"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// Queue is the approval queue both backends provide: state.Inbox (a bbolt state directory) and
// pgstate.Store (a shared state).
type Queue interface {
	QueueApproval(a state.Approval) (string, error)
	PendingApprovals() ([]state.PendingApproval, error)
	FinishApproval(id string, o state.ApprovalOutcome) error
	ApprovalOutcome(id string) (state.ApprovalOutcome, bool, error)
	ApprovalOutcomes() ([]state.ApprovalOutcome, error)
}

// RunQueue checks what every approval queue must do, on a fresh queue from newQueue: approvals
// come back whole and oldest first, a finished one leaves the queue and its outcome can be read,
// and one is finished once.
func RunQueue(t *testing.T, newQueue func(t *testing.T) Queue) {
	q := newQueue(t)
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	plan := []byte("{\n  \"plan_version\": 1, \"run_id\": \"r1\"\n}\n\x00 exact bytes")
	first := state.Approval{PlanRunID: "r1", Plan: plan, Only: []string{"7701"}, Exclude: []string{}, By: "ops@bastion", QueuedAt: at}
	second := state.Approval{PlanRunID: "r1", Plan: plan, By: "ops@bastion", QueuedAt: at.Add(time.Second)}
	id1, err := q.QueueApproval(first)
	if err != nil || id1 == "" {
		t.Fatalf("QueueApproval = %q, %v", id1, err)
	}
	id2, err := q.QueueApproval(second)
	if err != nil || id2 == "" || id2 == id1 {
		t.Fatalf("second QueueApproval = %q, %v (first %q)", id2, err, id1)
	}
	pending, err := q.PendingApprovals()
	if err != nil || len(pending) != 2 {
		t.Fatalf("PendingApprovals = %+v, %v; want two", pending, err)
	}
	got := pending[0]
	if got.Err != nil || got.ID != id1 || string(got.Plan) != string(plan) || got.PlanRunID != "r1" ||
		!slices.Equal(got.Only, []string{"7701"}) || got.By != "ops@bastion" || !got.QueuedAt.Equal(at) {
		t.Errorf("first pending = %+v; want %+v with ID %s", got, first, id1)
	}
	if pending[1].ID != id2 {
		t.Errorf("queue order = %s, %s; want %s first", pending[0].ID, pending[1].ID, id1)
	}
	if _, ok, err := q.ApprovalOutcome(id1); ok || err != nil {
		t.Errorf("ApprovalOutcome of a waiting approval = %v, %v; want none", ok, err)
	}
	done := state.ApprovalOutcome{PlanRunID: "r1", Status: state.ApprovalApplied, RunID: "r2", ExitCode: 3,
		Reason: "blocked", Node: "a", FinishedAt: at.Add(time.Minute)}
	if err := q.FinishApproval(id1, done); err != nil {
		t.Fatalf("FinishApproval: %v", err)
	}
	o, ok, err := q.ApprovalOutcome(id1)
	done.ApprovalID = id1
	if err != nil || !ok || o.Status != done.Status || o.RunID != "r2" || o.ExitCode != 3 || o.ApprovalID != id1 || !o.FinishedAt.Equal(done.FinishedAt) {
		t.Errorf("ApprovalOutcome = %+v, %v, %v; want %+v", o, ok, err, done)
	}
	if err := q.FinishApproval(id1, state.ApprovalOutcome{Status: state.ApprovalRefused, ExitCode: 1, FinishedAt: at}); err == nil {
		t.Error("a second outcome for a finished approval was accepted")
	}
	if o, _, _ := q.ApprovalOutcome(id1); o.Status != done.Status || o.ExitCode != 3 {
		t.Errorf("outcome after a second finish = %+v, want the first (%+v)", o, done)
	}
	pending, err = q.PendingApprovals()
	if err != nil || len(pending) != 1 || pending[0].ID != id2 {
		t.Errorf("pending after finishing the first = %+v, %v; want only %s", pending, err, id2)
	}
	refused := state.ApprovalOutcome{PlanRunID: "r1", Status: state.ApprovalRefused, ExitCode: 1, Reason: "already applied", FinishedAt: at.Add(2 * time.Minute)}
	if err := q.FinishApproval(id2, refused); err != nil {
		t.Fatalf("FinishApproval of the second: %v", err)
	}
	if pending, err := q.PendingApprovals(); err != nil || len(pending) != 0 {
		t.Errorf("pending after finishing both = %+v, %v; want none", pending, err)
	}
	all, err := q.ApprovalOutcomes()
	if err != nil || len(all) != 2 {
		t.Errorf("ApprovalOutcomes = %+v, %v; want two", all, err)
	}
	if _, _, err := q.ApprovalOutcome("../state"); err == nil {
		t.Error("ApprovalOutcome of a path is not an error")
	}
}

// RunQueueOrder checks that approvals come back in the order they were queued, not in the order
// of their queue times: a clock stepped back between two `reaper apply` runs must not put the
// later approval first (README, "Order by sequence, not time").
func RunQueueOrder(t *testing.T, newQueue func(t *testing.T) Queue) {
	q := newQueue(t)
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	var ids []string
	for i, queued := range []time.Time{at, at.Add(-time.Hour), at.Add(-time.Hour), at.Add(-48 * time.Hour)} {
		id, err := q.QueueApproval(state.Approval{PlanRunID: "r" + string(rune('1'+i)), Plan: []byte("{}"), By: "ops", QueuedAt: queued})
		if err != nil {
			t.Fatalf("QueueApproval %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	pending, err := q.PendingApprovals()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pending {
		got = append(got, p.ID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("pending order %q, want the order queued %q (queue times stepped back)", got, ids)
	}
}
