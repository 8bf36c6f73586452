package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// pendingEnricher leaves the first instance pending and gives the second figures.
type pendingEnricher struct{}

func (pendingEnricher) Enrich(_ context.Context, _ time.Time, _ map[string]any, in []zen.Instance) (map[string]*policy.Traffic, int, error) {
	return map[string]*policy.Traffic{in[0].ID: nil, in[1].ID: {Samples: 864, Complete: true}}, 1, nil
}

// inputRecorder keeps the traffic each instance reached the policies with.
type inputRecorder struct{ seen map[string]*policy.Traffic }

func (r *inputRecorder) Evaluate(_ context.Context, _ time.Time, _ map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	out := make([]policy.Decision, len(in))
	for _, x := range in {
		r.seen[x.ID] = x.Traffic
	}
	return out, nil
}

// TestTrafficPendingReachesPoliciesAsNull: an instance whose traffic the Enricher left pending
// reaches the policies with traffic null (as missing traffic always has), and its entry says
// pending; an instance that needed no traffic is not pending.
func TestTrafficPendingReachesPoliciesAsNull(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	rec := &inputRecorder{seen: map[string]*policy.Traffic{}}
	h.rec.opts.Enricher, h.rec.opts.Evaluator = pendingEnricher{}, rec
	res := h.cycle(t, true)
	if res.Status != StatusOK {
		t.Fatalf("status %s: %v", res.Status, res.Err)
	}
	if tr, ok := rec.seen["000"]; !ok || tr != nil {
		t.Errorf("policy input traffic of the pending instance: %+v (seen %v), want null", tr, ok)
	}
	for id, want := range map[string]bool{"000": true, "001": false, "002": false} {
		e := res.entry(t, id)
		if e.TrafficPending != want {
			t.Errorf("%s: TrafficPending %v, want %v", id, e.TrafficPending, want)
		}
	}
	if res.entry(t, "001").Traffic == nil {
		t.Error("001: figures lost")
	}
}
