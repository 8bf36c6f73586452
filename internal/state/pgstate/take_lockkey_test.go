package pgstate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/leader"
	"github.com/reaper-bmc/reaper/internal/state"
)

// TestApprovalTakeNeedsThisStatesLock: a take is fenced by this state's leadership lock, not by
// any advisory lock. Two reaper states (schemas) may share a database, each with its own leader.
// When this state's leader session (pid X) ends, its leadership row names X until the next
// leader writes its own pid; a backend that reuses pid X meanwhile and holds an advisory lock of
// its own (the other state's leader, say) must not make the cut-off leader's takes (Session X)
// pass. The reuse is reproduced by writing the other leader's pid into this state's row, which
// is what the row would say had that backend been given pid X.
func TestApprovalTakeNeedsThisStatesLock(t *testing.T) {
	ctx := context.Background()
	s, other := openTest(t), openTest(t)
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	id := queueApproval(t, s, "p1", at)
	la, lo := newLeader(t, s, "a"), newLeader(t, other, "o")
	if err := la.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lo.Acquire(ctx); err != nil {
		t.Fatalf("the other state's leader: %v", err)
	}
	conn, err := pgx.Connect(ctx, testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend($1, 10000)", int32(la.Session())); err != nil {
		t.Fatal(err)
	}
	reused := lo.Session() // the backend that got the ended session's pid
	if _, err := conn.Exec(ctx, "UPDATE "+pgx.Identifier{s.Schema(), "leadership"}.Sanitize()+" SET pid = $1 WHERE id = 1", int32(reused)); err != nil {
		t.Fatal(err)
	}
	err = s.TakeApproval(id, state.ApprovalTake{Node: "a", RunID: "run-a", At: at, Session: reused})
	if !errors.Is(err, state.ErrNotTaken) {
		t.Errorf("a take fenced on a pid that holds only another state's lock: %v, want ErrNotTaken", err)
	}
	if got := leader.LockKey(s.Schema()); got == leader.LockKey(other.Schema()) {
		t.Fatalf("two schemas share the lock key %d", got)
	}
	// The leader of this state still takes.
	if err := s.TakeApproval(id, state.ApprovalTake{Node: "o", RunID: "run-o", At: at, Session: lo.Session()}); !errors.Is(err, state.ErrNotTaken) {
		t.Errorf("the other state's leader taking this state's approval: %v, want ErrNotTaken", err)
	}
	lb := newLeader(t, s, "b")
	if err := lb.Acquire(ctx); err != nil {
		t.Fatalf("the new leader: %v", err)
	}
	if err := s.TakeApproval(id, state.ApprovalTake{Node: "b", RunID: "run-b", At: at, Session: lb.Session()}); err != nil {
		t.Errorf("the new leader's take: %v", err)
	}
}

// TestLeaderLockKeyIsLeaders: pgstate fences takes on the key internal/leader locks.
func TestLeaderLockKeyIsLeaders(t *testing.T) {
	for _, schema := range []string{"reaper", "s1", "", "Ünïcode"} {
		if got, want := leaderLockKey(schema), leader.LockKey(schema); got != want {
			t.Errorf("leaderLockKey(%q) = %d, leader.LockKey = %d", schema, got, want)
		}
	}
}
