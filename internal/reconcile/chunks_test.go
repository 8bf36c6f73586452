package reconcile

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
)

// failingChunkEvaluator decides like tagEvaluator and fails on its failOn-th call (1-based).
type failingChunkEvaluator struct {
	calls  *int
	failOn int
	err    error
}

func (e failingChunkEvaluator) Evaluate(ctx context.Context, now time.Time, params map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	*e.calls++
	if *e.calls == e.failOn {
		return nil, e.err
	}
	return tagEvaluator{}.Evaluate(ctx, now, params, in)
}

// TestEvaluationFailingOnALaterChunkAborts: the decisions of a chunk become entries as the chunk
// completes; an evaluation that fails on a later chunk still aborts the whole cycle with its
// error, keeps no entry, writes no mark and calls nothing, though every instance is due.
func TestEvaluationFailingOnALaterChunkAborts(t *testing.T) {
	n := 2*evalChunk + 5
	for _, failOn := range []int{1, 2, 3} {
		h := newHarness(t, fleet(n), func(s *Settings) { s.MaxTerminationsPerRun = n })
		calls := 0
		boom := errors.New("engine broke on a later chunk")
		h.rec.opts.Evaluator = failingChunkEvaluator{calls: &calls, failOn: failOn, err: boom}
		res := h.cycle(t, false)
		if res.Status != StatusAborted || !errors.Is(res.Err, boom) {
			t.Fatalf("fail on chunk %d: status %s, err %v; want aborted with the engine's error", failOn, res.Status, res.Err)
		}
		if len(res.Entries) != 0 || len(h.api.calls()) != 0 || len(h.store.marks) != 0 || len(h.store.intents) != 0 {
			t.Fatalf("fail on chunk %d: %d entries, calls %v, %d marks, %d intents; want none",
				failOn, len(res.Entries), h.api.calls(), len(h.store.marks), len(h.store.intents))
		}
		if calls != failOn {
			t.Fatalf("fail on chunk %d: %d Evaluate calls, want evaluation to stop at the failing chunk", failOn, calls)
		}
	}
}

// TestEvaluationChunksKeepInventoryOrder: over several chunks every entry is its own instance's,
// in inventory order, with its own decision.
func TestEvaluationChunksKeepInventoryOrder(t *testing.T) {
	n := 2*evalChunk + 5
	inv := fleet(n)
	for i := range inv {
		if i%3 == 0 {
			setTag(&inv[i], "keep", "yes")
			setTag(&inv[i], "doomed", "yes")
		}
	}
	h := newHarness(t, inv, func(s *Settings) { s.MaxTerminationsPerRun = n })
	res := h.cycle(t, true)
	if res.Status != StatusOK || len(res.Entries) != n {
		t.Fatalf("status %s, %d entries; want ok and %d", res.Status, len(res.Entries), n)
	}
	for i, e := range res.Entries {
		want := ActionWouldTerminate
		if i%3 == 0 {
			want = ActionExempt
		}
		if e.Instance.ID != inv[i].ID || e.Action != want {
			t.Fatalf("entry %d = %s %s, want %s %s", i, e.Instance.ID, e.Action, inv[i].ID, want)
		}
	}
}
