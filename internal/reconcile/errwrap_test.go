package reconcile

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// failingStore is a real state store that closes itself just before the named read, so that
// read fails with the store's own error.
type failingStore struct {
	*state.Store
	failOn string
}

func (s *failingStore) fail(method string) {
	if s.failOn == method {
		s.Store.Close()
	}
}

func (s *failingStore) LastRunTime() (time.Time, bool, error) {
	s.fail("LastRunTime")
	return s.Store.LastRunTime()
}

func (s *failingStore) OpenIntents() ([]state.Intent, error) {
	s.fail("OpenIntents")
	return s.Store.OpenIntents()
}

func (s *failingStore) Refusals() (map[string]state.Refusal, error) {
	s.fail("Refusals")
	return s.Store.Refusals()
}

func (s *failingStore) Unconfirmed() (map[string]state.Unconfirmed, error) {
	s.fail("Unconfirmed")
	return s.Store.Unconfirmed()
}

func (s *failingStore) Marks() (map[state.MarkKey]state.Mark, error) {
	s.fail("Marks")
	return s.Store.Marks()
}

func (s *failingStore) LastCompleteInventory() (int, bool, error) {
	s.fail("LastCompleteInventory")
	return s.Store.LastCompleteInventory()
}

// TestStoreErrorsWrappedOnce: a read of the state store that fails aborts the cycle with an error
// that names the read once: the store names its operation, the cycle does not repeat it
// ("read marks: read marks: ...").
func TestStoreErrorsWrappedOnce(t *testing.T) {
	for _, method := range []string{"LastRunTime", "OpenIntents", "Refusals", "Unconfirmed", "Marks", "LastCompleteInventory"} {
		t.Run(method, func(t *testing.T) {
			st, err := state.Open(t.TempDir(), state.WithNow(func() time.Time { return t0 }))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			rec, err := New(Options{
				API: &fakeAPI{instances: []zen.Instance{inst("a")}}, Evaluator: tagEvaluator{},
				Store:    &failingStore{Store: st, failOn: method},
				Settings: Settings{Mode: ModeEnforce, MaxTerminationsPerRun: 10, MaxTerminationsPercent: 100, MaxFleetDropPercent: 50},
				Now:      func() time.Time { return t0 },
			})
			if err != nil {
				t.Fatal(err)
			}
			res, _ := rec.Run(context.Background(), Cycle{RunID: "r1", Command: "plan", DryRun: true})
			if res.Err == nil {
				t.Fatalf("cycle status %s with no error, want the failed %s", res.Status, method)
			}
			msg := res.Err.Error()
			seen := map[string]bool{}
			for seg := range strings.SplitSeq(msg, ": ") {
				if seen[seg] {
					t.Errorf("error %q repeats %q", msg, seg)
				}
				seen[seg] = true
			}
		})
	}
}

// TestEvaluatorErrorNotRewrapped: the policy engine's error names the evaluation itself
// ("evaluate policies: ...", "policy evaluation stopped ..."), so the cycle aborts with it as
// it is rather than saying "evaluate policies: evaluate policies: ...".
func TestEvaluatorErrorNotRewrapped(t *testing.T) {
	want := errors.New("evaluate policies: open policy store: boom")
	h := newHarness(t, []zen.Instance{inst("a")}, nil)
	h.rec.opts.Evaluator = tagEvaluator{err: want}
	res := h.cycle(t, true)
	if res.Status != StatusAborted || !errors.Is(res.Err, want) || res.Err.Error() != want.Error() {
		t.Errorf("cycle %s, error %v; want aborted with %q as it is", res.Status, res.Err, want)
	}
}
