package enrich

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/policies"
)

// TestEnrichedTrafficDrivesIdlePolicy feeds traffic from the simulator through the bundled
// policies: only the instance with complete, quiet traffic (and the stopped one, which carries
// none) is idle.
func TestEnrichedTrafficDrivesIdlePolicy(t *testing.T) {
	ctx := context.Background()
	h := newSimHarness(t, fleetForIdle()...)
	params := policies.DefaultParams()
	traffic, _, err := h.enricher(0).Enrich(ctx, t0, params, h.instances())
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	engine, err := policy.Load(ctx, policy.Options{FS: policies.FS})
	if err != nil {
		t.Fatalf("load policies: %v", err)
	}
	var inputs []policy.Instance
	for _, in := range h.instances() {
		inputs = append(inputs, policyInstance(in, t0, traffic[in.ID]))
	}
	decisions, err := engine.Evaluate(ctx, t0, params, inputs)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(decisions) != len(inputs) {
		t.Fatalf("got %d decisions for %d instances", len(decisions), len(inputs))
	}

	want := map[string]bool{"idle": true, "stopped": true, "busy": false, "gap": false, "young": false, "failed": false, "booting": false}
	for i, d := range decisions {
		id := inputs[i].ID
		if d.Err != nil {
			t.Errorf("%s: evaluation failed: %v", id, d.Err)
			continue
		}
		var idle []string
		for _, r := range d.Terminate {
			if r.Policy == "reaper.idle" {
				idle = append(idle, r.Reason)
			}
		}
		if got := len(idle) > 0; got != want[id] {
			t.Errorf("%s: idle reasons %q (traffic %+v), want idle=%v", id, idle, inputs[i].Traffic, want[id])
		}
		if len(idle) > 0 && !strings.HasPrefix(idle[0], "p95 in ") {
			t.Errorf("%s: reason %q, want it to start with %q", id, idle[0], "p95 in ")
		}
	}
}

// policyInstance is the policy input for in, as the reconciler builds it.
func policyInstance(in zen.Instance, now time.Time, tr *policy.Traffic) policy.Instance {
	return policy.Instance{
		ID: in.ID, Name: in.Name, Zone: in.Zone, Type: in.Type, Status: string(in.Status),
		ChargeType: string(in.ChargeType), CreatedAt: in.CreatedAt,
		Tags: map[string]string{}, PublicIPs: []string{}, PrivateIPs: []string{},
		Traffic: tr,
	}
}
