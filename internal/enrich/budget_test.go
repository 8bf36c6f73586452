package enrich

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// budgetFleet: instances whose last figures look idle (one nearer the threshold), busy ones (one
// just over it), and one never fetched. Warm at t0, all due at t0+6h.
func budgetFleet() []zensim.SimInstance {
	return []zensim.SimInstance{
		sim("idle-low", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10}),
		sim("idle-high", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 90_000, OutBps: 10}),
		sim("busy-near", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 150_000, OutBps: 10}),
		sim("busy-far", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 90_000_000}),
		sim("cold", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10}),
	}
}

// TestEnrichBudget: with a budget of N calls, exactly the most important instances whose calls
// fit are fetched, in the documented order, and every other one is pending (nil), never idle.
func TestEnrichBudget(t *testing.T) {
	tests := []struct {
		budget  int
		fetched []string
	}{
		// Order: idle-low, idle-high (look idle, closest first), cold (3 calls: unknown), busy-near, busy-far.
		{1, []string{"idle-low"}},
		{2, []string{"idle-high", "idle-low"}},
		{4, []string{"idle-high", "idle-low"}}, // cold needs 3 more: the cut stops there
		{5, []string{"cold", "idle-high", "idle-low"}},
		{6, []string{"busy-near", "cold", "idle-high", "idle-low"}},
		{7, []string{"busy-far", "busy-near", "cold", "idle-high", "idle-low"}},
		{0, []string{"busy-far", "busy-near", "cold", "idle-high", "idle-low"}}, // no budget
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("budget ", tt.budget), func(t *testing.T) {
			h := newSimHarness(t, budgetFleet()...)
			var warm []zen.Instance
			for _, in := range h.instances() {
				if in.ID != "cold" {
					warm = append(warm, in)
				}
			}
			params := policies.DefaultParams()
			if _, calls, err := h.enricher(0).Enrich(context.Background(), t0, params, warm); err != nil || calls != 12 {
				t.Fatalf("warm-up: %d calls, %v", calls, err)
			}
			now := t0.Add(DefaultRefresh) // every warm instance is due
			h.clock.Set(now)
			h.sim.ResetCalls()
			e := New(Options{API: h.client, Cache: h.store, Budget: tt.budget})
			got, calls, err := e.Enrich(context.Background(), now, params, h.instances())
			if err != nil {
				t.Fatalf("Enrich: %v", err)
			}
			var fetched []string
			for id := range h.trafficCalls() {
				fetched = append(fetched, id)
			}
			slices.Sort(fetched)
			if !slices.Equal(fetched, tt.fetched) {
				t.Errorf("fetched %v, want %v", fetched, tt.fetched)
			}
			want := 0
			for _, id := range tt.fetched {
				want += map[bool]int{true: 3, false: 1}[id == "cold"]
			}
			if calls != want || h.totalTrafficCalls() != want || (tt.budget > 0 && calls > tt.budget) {
				t.Errorf("calls %d (simulator %d), want %d within the budget %d", calls, h.totalTrafficCalls(), want, tt.budget)
			}
			if len(got) != 5 {
				t.Errorf("got %d instances, want all 5 (fetched or pending)", len(got))
			}
			for id, tr := range got {
				if in := slices.Contains(tt.fetched, id); in != (tr != nil) {
					t.Errorf("%s: traffic %+v; want figures only when fetched, pending (nil) otherwise", id, tr)
				}
			}
		})
	}
}

// TestFetchOrderOldestDataFirst: among instances that look equally idle, the oldest data is
// fetched first; the ID breaks ties.
func TestFetchOrderOldestDataFirst(t *testing.T) {
	p, _ := ParseParams(nil)
	mk := func(id string, p95 int64, fetched time.Time, cold bool) job {
		j := job{inst: inst(id, zen.StatusRunning, 30*day)}
		if !cold {
			r := record(id, fetched, windowAt(fetched, DefaultWindow), summary{samples: 864, inP95: p95, outP95: p95})
			j.prior = &r
		}
		return j
	}
	jobs := []job{
		mk("busy", 200_000, t0, false),
		mk("cold-b", 0, time.Time{}, true),
		mk("idle-new", 10, t0, false),
		mk("cold-a", 0, time.Time{}, true),
		mk("idle-old", 10, t0.Add(-time.Hour), false),
		mk("idle-at-threshold", DefaultMaxP95, t0.Add(-2*time.Hour), false),
	}
	p.order(jobs)
	var got []string
	for _, j := range jobs {
		got = append(got, j.inst.ID)
	}
	want := []string{"idle-old", "idle-new", "cold-a", "cold-b", "idle-at-threshold", "busy"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
