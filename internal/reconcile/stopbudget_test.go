package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// deadlineAPI records the deadline of the context each call runs on.
type deadlineAPI struct {
	*fakeAPI
	onTerminate func()
	terminate   []time.Time
	describe    []time.Time
}

func (d *deadlineAPI) DescribeInstances(ctx context.Context, ids []string) ([]zen.Instance, error) {
	dl, _ := ctx.Deadline()
	d.describe = append(d.describe, dl)
	return d.fakeAPI.DescribeInstances(ctx, ids)
}

func (d *deadlineAPI) TerminateInstance(ctx context.Context, id string) (string, error) {
	dl, _ := ctx.Deadline()
	d.terminate = append(d.terminate, dl)
	if d.onTerminate != nil {
		d.onTerminate()
	}
	return d.fakeAPI.TerminateInstance(ctx, id)
}

// TestStopBoundsCallAndConfirmTogether: after a stop, the call in flight and the confirming
// describe share one detached budget (CallTimeout from the call's start), so the whole stop stays
// inside systemd's TimeoutStopSec; without a stop the describe gets its own budget.
func TestStopBoundsCallAndConfirmTogether(t *testing.T) {
	for _, stop := range []bool{true, false} {
		h := newHarness(t, fleet(2), func(s *Settings) { s.CallTimeout = time.Hour })
		api := &deadlineAPI{fakeAPI: h.api}
		rec, err := New(Options{API: api, Evaluator: tagEvaluator{}, Store: h.store, Settings: h.rec.opts.Settings,
			Now: func() time.Time { return h.now }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if stop {
			api.onTerminate = cancel // SIGTERM while the first call is in flight
		}
		res, _ := rec.Run(ctx, Cycle{RunID: "r", Command: "run"})
		cancel()
		if len(api.terminate) == 0 || len(api.describe) == 0 {
			t.Fatalf("stop=%v: terminate %v describe %v", stop, api.terminate, api.describe)
		}
		call, confirm := api.terminate[len(api.terminate)-1], api.describe[len(api.describe)-1]
		if confirm.IsZero() {
			t.Fatalf("stop=%v: the confirming describe has no deadline", stop)
		}
		if stop && confirm.After(call) {
			t.Errorf("stopped: confirm deadline %v is after the in-flight call's %v: a stop can take 2 × CallTimeout",
				confirm, call)
		}
		if !stop && !confirm.After(call) {
			t.Errorf("not stopped: confirm deadline %v, want its own budget after the last call's %v", confirm, call)
		}
		if e := res.entry(t, "000"); e.Action != ActionTerminated {
			t.Errorf("stop=%v: in-flight call = %s, want terminated (confirmed)", stop, e.Action)
		}
		if open, _ := h.store.OpenIntents(); len(open) != 0 {
			t.Errorf("stop=%v: open intents = %v", stop, open)
		}
	}
}
