package e2e_test

import (
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// realSim is a simulator on the real clock, for cycles that run in child processes.
func realSim(t *testing.T, fleet []zensim.FleetInstance) (*zensim.Server, string) {
	t.Helper()
	sim := zensim.New(zensim.Options{Keys: map[string]string{keyID: secret}, Seed: 11})
	if err := sim.Load(zensim.Fleet{Instances: fleet}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// TestCrashBetweenIntentAndOutcome kills reaper with SIGKILL after the simulator executed a
// TerminateInstance and before the answer reached reaper. The restarted reaper must resolve the
// open intent by describing the instance, and never call TerminateInstance for it again.
func TestCrashBetweenIntentAndOutcome(t *testing.T) {
	fleet := fleetOf(3, func(id string) zensim.FleetInstance { return expired(id) })
	sim, url := realSim(t, fleet)
	dir := t.TempDir()

	var mu sync.Mutex
	var child *exec.Cmd
	killed := ""
	sim.OnCall(func(c zensim.Call) {
		mu.Lock()
		defer mu.Unlock()
		if c.Action == "TerminateInstance" && killed == "" {
			killed = c.InstanceIDs[0]
			_ = child.Process.Kill() // SIGKILL: the answer is never read
		}
	})
	mu.Lock()
	child = startChild(t, url, dir)
	mu.Unlock()
	if err := child.Wait(); err == nil {
		t.Fatal("the first child exited normally; it should have been killed")
	}
	sim.OnCall(nil)

	st, err := state.Open(dir)
	if err != nil {
		t.Fatalf("state after SIGKILL: %v", err)
	}
	open, _ := st.OpenIntents()
	st.Close()
	if len(open) != 1 || open[0].InstanceID != killed {
		t.Fatalf("open intents after the crash = %+v, want one for %s", open, killed)
	}

	if err := startChild(t, url, dir).Wait(); err != nil {
		t.Fatalf("restarted cycle: %v", err)
	}
	calls := map[string]int{}
	for _, c := range sim.TerminateCalls() {
		calls[c.InstanceIDs[0]]++
	}
	for _, in := range fleet {
		if calls[in.ID] != 1 {
			t.Errorf("%s: %d TerminateInstance calls, want exactly 1", in.ID, calls[in.ID])
		}
	}
	st, err = state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	intents, _ := st.Intents()
	if len(intents) != 3 {
		t.Errorf("intents = %d, want 3", len(intents))
	}
	for _, in := range intents {
		if in.Outcome == nil {
			t.Errorf("intent %s/%s still open", in.RunID, in.InstanceID)
		} else if in.InstanceID == killed && in.Outcome.Result != reconcile.OutcomeRecycled {
			t.Errorf("killed intent resolved as %q, want %q", in.Outcome.Result, reconcile.OutcomeRecycled)
		}
	}
}
