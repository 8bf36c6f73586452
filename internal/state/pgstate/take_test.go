package pgstate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/leader"
	"github.com/reaper-bmc/reaper/internal/state"
)

// newLeader returns a leadership of s's schema for node, released at cleanup.
func newLeader(t *testing.T, s *Store, node string) *leader.Leader {
	t.Helper()
	l, err := leader.New(leader.Options{Conn: s.ConnConfig(), Schema: s.Schema(), Node: node, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
	return l
}

// TestApprovalTakenOnceAcrossHandover: an approval is taken only by a reaper whose leadership
// session holds the lock. The old leader, cut off but not aware of it yet, takes nothing more and
// cannot finish the approval it took once the new leader took it over; the new leader's take
// sees the lapsed take (so it can tell what that run did) and records the one outcome.
func TestApprovalTakenOnceAcrossHandover(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	id := queueApproval(t, s, "p1", at)
	id2 := queueApproval(t, s, "p2", at)
	la, lb := newLeader(t, s, "a"), newLeader(t, s, "b")
	if err := la.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lb.Acquire(ctx); err == nil {
		t.Fatal("two leaders at once")
	}
	takeA := state.ApprovalTake{Node: "a", RunID: "run-a", At: at, Session: la.Session()}
	if err := s.TakeApproval(id, takeA); err != nil {
		t.Fatalf("the leader's take: %v", err)
	}
	// A standby takes nothing: it has no leadership session, and a session that is not the
	// leader's (its own, say) does not count.
	for _, sess := range []uint32{lb.Session(), la.Session() + 1} {
		if err := s.TakeApproval(id, state.ApprovalTake{Node: "b", RunID: "run-b", At: at, Session: sess}); !errors.Is(err, state.ErrNotTaken) {
			t.Errorf("a standby's take with session %d: %v, want ErrNotTaken", sess, err)
		}
	}

	// Handover: a's session ends; a has not noticed (no fence since), b leads.
	conn, err := pgx.Connect(ctx, testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend($1, 10000)", int32(la.Session())); err != nil {
		t.Fatal(err)
	}
	if err := s.TakeApproval(id2, state.ApprovalTake{Node: "a", RunID: "run-a2", At: at, Session: takeA.Session}); !errors.Is(err, state.ErrNotTaken) {
		t.Errorf("the cut-off leader's take: %v, want ErrNotTaken", err)
	}
	if err := lb.Acquire(ctx); err != nil {
		t.Fatalf("the new leader: %v", err)
	}
	pending, err := s.PendingApprovals()
	if err != nil || len(pending) != 2 || pending[0].Taken == nil || pending[0].Taken.RunID != "run-a" || pending[0].Taken.Node != "a" ||
		!pending[0].Taken.At.Equal(at) || pending[1].Taken != nil {
		t.Fatalf("PendingApprovals = %+v, %v; want %s taken by run-a, %s untaken", pending, err, id, id2)
	}
	takeB := state.ApprovalTake{Node: "b", RunID: "run-b", At: at.Add(time.Minute), Session: lb.Session()}
	if err := s.TakeApproval(id, takeB); err != nil {
		t.Fatalf("the new leader taking over a lapsed take: %v", err)
	}
	done := func(take, node string) state.ApprovalOutcome {
		return state.ApprovalOutcome{PlanRunID: "p1", Status: state.ApprovalApplied, RunID: "run-a", Node: node, Take: take, FinishedAt: at.Add(time.Hour)}
	}
	if err := s.FinishApproval(id, done("run-a", "a")); err == nil {
		t.Error("the old leader finished an approval the new leader took over")
	}
	if err := s.FinishApproval(id, done("run-b", "b")); err != nil {
		t.Fatalf("the new leader's finish: %v", err)
	}
	o, ok, err := s.ApprovalOutcome(id)
	if err != nil || !ok || o.Node != "b" || o.Take != "run-b" {
		t.Errorf("outcome = %+v, %v, %v; want b's", o, ok, err)
	}
	if err := s.TakeApproval(id, takeB); !errors.Is(err, state.ErrNotTaken) {
		t.Errorf("taking a finished approval: %v, want ErrNotTaken", err)
	}
}

// TestApprovalTakeUpgrade: a schema the previous version wrote (approvals without the take
// columns, migration 7 not applied) with an approval waiting is upgraded on open; the approval
// stays waiting, untaken, and is taken and finished as any other.
func TestApprovalTakeUpgrade(t *testing.T) {
	ctx := context.Background()
	dsn, schema := previousSchema(t, `
		ALTER TABLE approvals DROP COLUMN taken_node, DROP COLUMN taken_run, DROP COLUMN taken_at, DROP COLUMN taken_session;
		DELETE FROM schema_migrations WHERE version = 7;
		INSERT INTO approvals (plan_run_id, doc) VALUES ('p1', '{"plan_run_id":"p1","plan":"e30=","only":[],"exclude":[],"by":"ops@b","queued_at":"2026-12-04T03:00:00Z"}')`)
	s, err := Open(ctx, Config{DSN: dsn, Schema: schema, Node: "test"})
	if err != nil {
		t.Fatalf("open the previous version's schema: %v", err)
	}
	defer s.Close()
	pending, err := s.PendingApprovals()
	if err != nil || len(pending) != 1 || pending[0].Err != nil || pending[0].Taken != nil {
		t.Fatalf("PendingApprovals after the upgrade = %+v, %v; want one, untaken", pending, err)
	}
	l := newLeader(t, s, "a")
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.TakeApproval(pending[0].ID, state.ApprovalTake{Node: "a", RunID: "run-a", Session: l.Session()}); err != nil {
		t.Fatalf("take after the upgrade: %v", err)
	}
	if err := s.FinishApproval(pending[0].ID, state.ApprovalOutcome{Status: state.ApprovalRefused, Take: "run-a", FinishedAt: time.Now()}); err != nil {
		t.Fatalf("finish after the upgrade: %v", err)
	}
}

// queueApproval queues an approval of plan run planRunID at at in s and returns its ID.
func queueApproval(t *testing.T, s *Store, planRunID string, at time.Time) string {
	t.Helper()
	id, err := s.QueueApproval(state.Approval{PlanRunID: planRunID, Plan: []byte("{}"), QueuedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
