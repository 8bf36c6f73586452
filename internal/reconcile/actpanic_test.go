package reconcile

import (
	"context"
	"slices"
	"testing"
)

// TestPanicWhileActingLeavesIntentsForTheNextCycle: a panic inside the act step (here the client,
// on the second call of a batch, after the first call landed) unwinds the cycle with both intents
// recorded and open; the next cycle resolves them by describing before any call: the landed one
// is recycled (not called again), the other is re-checked and called once.
func TestPanicWhileActingLeavesIntentsForTheNextCycle(t *testing.T) {
	h := newHarness(t, fleet(2), nil)
	h.api.terminate = func(id string) (string, error) {
		if id == "001" {
			panic("client bug")
		}
		return "T-" + id, nil
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not reach the caller (contain/scheduler exit 1 depends on it)")
			}
		}()
		_, _ = h.rec.Run(context.Background(), Cycle{RunID: "crash", Command: "run"})
	}()
	open, err := h.store.OpenIntents()
	if err != nil || len(open) != 2 {
		t.Fatalf("open intents after the panic = %v (%v), want both (the landed call and the panicked one)", open, err)
	}
	h.api.terminate = nil
	described := len(h.api.described)
	res := h.cycle(t, false)
	if !slices.Equal(res.Recovered, []string{"000", "001"}) && !slices.Equal(res.Recovered, []string{"001", "000"}) {
		t.Errorf("recovered = %v, want both", res.Recovered)
	}
	if got := h.api.calls(); !slices.Equal(got, []string{"000", "001", "001"}) {
		t.Errorf("calls = %v, want 000 once (it landed) and 001 again after the re-check", got)
	}
	if len(h.api.described) <= described {
		t.Error("the next cycle made no describe")
	}
	if open, _ := h.store.OpenIntents(); len(open) != 0 {
		t.Errorf("open intents after the next cycle = %v", open)
	}
	if e := res.entry(t, "001"); e.Action != ActionTerminated {
		t.Errorf("001 = %s, want terminated", e.Action)
	}
}
