package pricing_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// TestCostsAligned: costs[i] is the cost of instances[i], for a mixed input of every source,
// including an ID listed twice: once asking for its bill (the bill's figure) and once not (its
// list price), and twice alike (the same figure twice). The old result, a map by ID, gave both
// entries of an ID the cost of the last. Pricing never writes into the instances it is given.
func TestCostsAligned(t *testing.T) {
	w := newWorld(t)
	p := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour, Override: overrides(map[string]float64{"S9I/SEL-A": 12.5})},
		w.client(t, "AKID"), newStore(t), w.clock.now, nil)
	in := []pricing.Instance{
		instance("E", "SEL-A", "NOPE", zen.ChargePostpaid, true), // unknown
		instance("A", "SEL-A", "M6C", zen.ChargePostpaid, true),  // bill
		instance("C", "SEL-A", "S9I", zen.ChargePostpaid, true),  // override
		instance("A", "SEL-A", "M6C", zen.ChargePostpaid, false), // the same ID, not asking its bill: list
		instance("D", "SEL-A", "L12G", zen.ChargePrepaid, false), // list
		instance("B", "SEL-A", "M6C", zen.ChargePostpaid, true),  // no bill line: list
		instance("A", "SEL-A", "M6C", zen.ChargePostpaid, true),  // bill again
		instance("W", "SEL-A", "M6C", "WEIRD", false),            // a charge type without list price: unknown
		instance("C", "SEL-A", "S9I", zen.ChargePostpaid, false), // override again
	}
	want := []string{"unknown null", "bill 93.260000", "override 12.500000", "list 963.600000", "list 720.000000",
		"list 963.600000", "bill 93.260000", "unknown null", "override 12.500000"}
	before := make([]zen.Instance, len(in))
	for i := range in {
		before[i] = *in[i].Instance
	}
	got, _ := p.Costs(context.Background(), in)
	if len(got) != len(in) {
		t.Fatalf("%d costs for %d instances", len(got), len(in))
	}
	for i := range in {
		if s := show(got[i]); s != want[i] {
			t.Errorf("costs[%d] (%s, bill %t): %s, want %s", i, in[i].Instance.ID, in[i].Bill, s, want[i])
		}
		if !reflect.DeepEqual(*in[i].Instance, before[i]) {
			t.Errorf("instance %d changed: %+v, was %+v", i, *in[i].Instance, before[i])
		}
	}

	// The same from the cache, in another order: each cost still follows its instance.
	w.clock.t = w.clock.t.Add(time.Hour)
	calls := len(w.sim.Calls())
	rev := make([]pricing.Instance, len(in))
	for i := range in {
		rev[len(in)-1-i] = in[i]
	}
	got, _ = p.Costs(context.Background(), rev)
	if n := len(w.sim.Calls()) - calls; n != 0 {
		t.Errorf("%d calls from the cache, want none", n)
	}
	for i := range rev {
		if s, w := show(got[i]), want[len(in)-1-i]; s != w {
			t.Errorf("from the cache, costs[%d] (%s, bill %t): %s, want %s", i, rev[i].Instance.ID, rev[i].Bill, s, w)
		}
	}
}

// TestCostsCancelledAligned: with the context done, every instance is unknown, one cost for each.
func TestCostsCancelledAligned(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := pricing.New(pricing.Config{Bills: true, Refresh: time.Hour, Override: overrides(map[string]float64{"S9I/SEL-A": 12.5})},
		w.client(t, "AKID"), newStore(t), w.clock.now, nil)
	got, _ := p.Costs(ctx, fleet)
	if len(got) != len(fleet) {
		t.Fatalf("%d costs for %d instances", len(got), len(fleet))
	}
	for i, c := range got {
		if s := show(c); s != "unknown null" {
			t.Errorf("costs[%d]: %s, want unknown null", i, s)
		}
	}
	if n := len(w.sim.Calls()); n != 0 {
		t.Errorf("%d calls with the context done, want none", n)
	}
}
