package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// fleetForIdle is a fleet with one instance of each kind the idle policy must tell apart.
func fleetForIdle() []zensim.SimInstance {
	return []zensim.SimInstance{
		sim("idle", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 2000, OutBps: 1000, Jitter: 0.1}),
		sim("busy", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 5_000_000, OutBps: 3_000_000}),
		// Powered off for the 24 hours that ended 12 hours ago.
		sim("gap", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10,
			GapsFrom: ptr(t0.Add(-36 * time.Hour)), GapsTo: ptr(t0.Add(-12 * time.Hour))}),
		sim("stopped", zen.StatusStopped, 30*day, zensim.TrafficProfile{}),
		sim("young", zen.StatusRunning, 3*day, zensim.TrafficProfile{InBps: 10, OutBps: 10}),
		sim("failed", zen.StatusCreateFailed, 30*day, zensim.TrafficProfile{}),
		sim("booting", zen.StatusBooting, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10}),
	}
}

func TestEnrichAgainstSimulator(t *testing.T) {
	h := newSimHarness(t, fleetForIdle()...)
	got, calls, err := h.enricher(0).Enrich(context.Background(), t0, policies.DefaultParams(), h.instances())
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}

	t.Run("only old RUNNING or STOPPED instances are fetched", func(t *testing.T) {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		if want := []string{"busy", "gap", "idle", "stopped"}; !slices.Equal(keys, want) {
			t.Errorf("instances with traffic: got %v, want %v", keys, want)
		}
		seen := h.trafficCalls()
		for _, id := range []string{"young", "failed", "booting"} {
			if n := len(seen[id]); n != 0 {
				t.Errorf("calls for %s: got %d, want 0", id, n)
			}
		}
	})

	t.Run("a 72h window costs 3 calls per instance", func(t *testing.T) {
		seen := h.trafficCalls()
		for _, id := range []string{"idle", "busy", "gap", "stopped"} {
			if n := len(seen[id]); n != 3 {
				t.Errorf("calls for %s: got %d, want 3", id, n)
			}
		}
		if total := h.totalTrafficCalls(); calls != total || calls != 12 {
			t.Errorf("calls: Enrich reported %d, the simulator saw %d, want 12", calls, total)
		}
	})

	t.Run("the calls tile the window ending at now truncated to 5 minutes", func(t *testing.T) {
		var ranges [][2]string
		for _, c := range h.trafficCalls()["idle"] {
			var body struct{ StartTime, EndTime string }
			if err := json.Unmarshal(c.Body, &body); err != nil {
				t.Fatalf("decode request body: %v", err)
			}
			ranges = append(ranges, [2]string{body.StartTime, body.EndTime})
		}
		slices.SortFunc(ranges, func(a, b [2]string) int { return strings.Compare(b[0], a[0]) })
		want := [][2]string{
			{"2026-11-25T08:00:00Z", "2026-11-26T08:00:00Z"},
			{"2026-11-24T08:00:00Z", "2026-11-25T08:00:00Z"},
			{"2026-11-23T08:00:00Z", "2026-11-24T08:00:00Z"},
		}
		if !slices.Equal(ranges, want) {
			t.Errorf("requested ranges: got %v, want %v", ranges, want)
		}
	})

	t.Run("busy: exact figures from a flat profile", func(t *testing.T) {
		tr := got["busy"]
		if tr == nil {
			t.Fatal("busy has no traffic")
		}
		if tr.InP95Bps != 5_000_000 || tr.OutP95Bps != 3_000_000 || tr.InAvgBps != 5_000_000 || tr.OutAvgBps != 3_000_000 {
			t.Errorf("busy: got p95 %d/%d avg %d/%d, want 5000000/3000000 both", tr.InP95Bps, tr.OutP95Bps, tr.InAvgBps, tr.OutAvgBps)
		}
		if tr.Samples != 864 || !tr.Complete || tr.WindowSeconds != 72*3600 {
			t.Errorf("busy: got samples %d complete %v window %d, want 864 true %d", tr.Samples, tr.Complete, tr.WindowSeconds, 72*3600)
		}
	})

	t.Run("idle: p95 within the jittered profile", func(t *testing.T) {
		tr := got["idle"]
		if tr == nil {
			t.Fatal("idle has no traffic")
		}
		// Samples are base×(1+0.1u), u uniform in [-1, 1): the p95 sits near base×1.09, the mean
		// near base.
		for _, c := range []struct {
			name     string
			p95, avg int64
			base     int64
		}{{"in", tr.InP95Bps, tr.InAvgBps, 2000}, {"out", tr.OutP95Bps, tr.OutAvgBps, 1000}} {
			lo, hi := c.base*1075/1000, c.base*11/10
			if c.p95 < lo || c.p95 > hi {
				t.Errorf("%s p95: got %d, want in [%d, %d]", c.name, c.p95, lo, hi)
			}
			if d := c.avg - c.base; d < -c.base/100 || d > c.base/100 {
				t.Errorf("%s avg: got %d, want %d ± 1%%", c.name, c.avg, c.base)
			}
		}
		if !tr.Complete || tr.Samples != 864 {
			t.Errorf("idle: got samples %d complete %v, want 864 true", tr.Samples, tr.Complete)
		}
	})

	t.Run("idle: p95 is the nearest rank over every point of the window", func(t *testing.T) {
		var in, out []int64
		end := t0.Truncate(Step)
		for i := range 3 {
			tr, err := h.client.DescribeInstanceTraffic(context.Background(), "idle",
				end.Add(-time.Duration(i+1)*day), end.Add(-time.Duration(i)*day))
			if err != nil {
				t.Fatalf("raw traffic: %v", err)
			}
			for _, p := range tr.Points {
				in, out = append(in, p.InBps.Value), append(out, p.OutBps.Value)
			}
		}
		checkNearestRank(t, "in", in, got["idle"].InP95Bps)
		checkNearestRank(t, "out", out, got["idle"].OutP95Bps)
	})

	t.Run("a gap makes the window incomplete", func(t *testing.T) {
		tr := got["gap"]
		if tr == nil {
			t.Fatal("gap has no traffic")
		}
		if tr.Samples != 864-288 || tr.Complete {
			t.Errorf("gap: got samples %d complete %v, want %d false", tr.Samples, tr.Complete, 864-288)
		}
	})

	t.Run("a stopped machine with no traffic is complete and zero", func(t *testing.T) {
		tr := got["stopped"]
		if tr == nil || !tr.Complete || tr.InP95Bps != 0 || tr.OutP95Bps != 0 {
			t.Errorf("stopped: got %+v, want complete with zero p95", tr)
		}
	})
}

// checkNearestRank verifies that p95 is a value of vals with at least 95 % of vals at or below
// it and fewer than 95 % strictly below it.
func checkNearestRank(t *testing.T, name string, vals []int64, p95 int64) {
	t.Helper()
	if len(vals) != 864 {
		t.Fatalf("%s: got %d raw points, want 864", name, len(vals))
	}
	var atOrBelow, below int
	for _, v := range vals {
		if v <= p95 {
			atOrBelow++
		}
		if v < p95 {
			below++
		}
	}
	n := len(vals)
	if !slices.Contains(vals, p95) || atOrBelow*100 < 95*n || below*100 >= 95*n {
		t.Errorf("%s p95 %d: %d of %d points at or below, %d below; not the nearest-rank 95th percentile",
			name, p95, atOrBelow, n, below)
	}
}

func TestEnrichYoungerThanWindowIsIncomplete(t *testing.T) {
	// min_age 1d lets instances younger than the 72h window through.
	params := map[string]any{"idle": map[string]any{"min_age": "1d", "window": "72h"}}
	h := newSimHarness(t,
		// Created one hour after the window began: 98.6 % of the points, still not complete.
		sim("late", zen.StatusRunning, 71*time.Hour, zensim.TrafficProfile{InBps: 10, OutBps: 10}),
		// Created 48h ago: the oldest 24h request would be empty and is not made.
		sim("new", zen.StatusRunning, 48*time.Hour, zensim.TrafficProfile{InBps: 10, OutBps: 10}),
	)
	got, calls, err := h.enricher(0).Enrich(context.Background(), t0, params, h.instances())
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	for _, c := range []struct {
		id      string
		samples int
		calls   int
	}{{"late", 852, 3}, {"new", 576, 2}} {
		tr := got[c.id]
		if tr == nil {
			t.Fatalf("%s has no traffic", c.id)
		}
		if tr.Complete || tr.Samples != c.samples {
			t.Errorf("%s: got samples %d complete %v, want %d false", c.id, tr.Samples, tr.Complete, c.samples)
		}
		if n := len(h.trafficCalls()[c.id]); n != c.calls {
			t.Errorf("%s: got %d calls, want %d", c.id, n, c.calls)
		}
	}
	if calls != 5 {
		t.Errorf("calls: got %d, want 5", calls)
	}
}

func TestEnrichYoungerThanMinAgeMakesNoCalls(t *testing.T) {
	h := newSimHarness(t, sim("young", zen.StatusRunning, 7*day-time.Minute, zensim.TrafficProfile{InBps: 1}))
	got, calls, err := h.enricher(0).Enrich(context.Background(), t0, policies.DefaultParams(), h.instances())
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if calls != 0 || len(got) != 0 || h.totalTrafficCalls() != 0 {
		t.Errorf("got %d calls, %d results, the simulator saw %d calls; want none", calls, len(got), h.totalTrafficCalls())
	}
}

func TestEnrichThirtyDayWindowStaysInHistory(t *testing.T) {
	h := newSimHarness(t, sim("old", zen.StatusRunning, 60*day, zensim.TrafficProfile{InBps: 10, OutBps: 20}))
	params := map[string]any{"idle": map[string]any{"window": "30d"}}
	got, calls, err := h.enricher(0).Enrich(context.Background(), t0, params, h.instances())
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	tr := got["old"]
	if calls != 30 || tr == nil {
		t.Fatalf("got %d calls and traffic %+v, want 30 calls and traffic", calls, tr)
	}
	if tr.Samples != 8640 || !tr.Complete || tr.WindowSeconds != int64(MaxWindow/time.Second) {
		t.Errorf("got samples %d complete %v window %d, want 8640 true %d", tr.Samples, tr.Complete, tr.WindowSeconds, int64(MaxWindow/time.Second))
	}
}

func TestEnrichFailedCallLeavesInstanceOut(t *testing.T) {
	h := newSimHarness(t,
		sim("a", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 100}),
		sim("b", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 100}),
		sim("c", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 100}),
	)
	h.sim.SetFault("DescribeInstanceTraffic", zensim.Fault{HTTPStatus: 500, Count: 1})
	got, calls, err := h.enricher(2).Enrich(context.Background(), t0, nil, h.instances())

	var faulted string
	for id, cs := range h.trafficCalls() {
		for _, c := range cs {
			if c.Fault != "" {
				faulted = id
			}
		}
	}
	if faulted == "" {
		t.Fatal("the simulator faulted no call")
	}
	var pe *PartialError
	if !errors.As(err, &pe) || pe.Failed != 1 || pe.Eligible != 3 {
		t.Fatalf("error: got %v, want a PartialError for 1 of 3", err)
	}
	var apiErr *zen.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "INTERNAL_SERVER_ERROR" {
		t.Errorf("error: got %v, want it to wrap the API's INTERNAL_SERVER_ERROR", err)
	}
	if tr, ok := got[faulted]; !ok || tr != nil {
		t.Errorf("%s: got traffic %v (present %v) after a failed call, want it pending (nil)", faulted, tr, ok)
	}
	for _, id := range []string{"a", "b", "c"} {
		if id != faulted && got[id] == nil {
			t.Errorf("%s: no traffic, want it despite %s failing", id, faulted)
		}
	}
	if n := len(h.trafficCalls()[faulted]); n != 1 {
		t.Errorf("calls for %s: got %d, want 1 (no more calls after a failure)", faulted, n)
	}
	if calls != 7 || calls != h.totalTrafficCalls() {
		t.Errorf("calls: got %d, simulator saw %d, want 7", calls, h.totalTrafficCalls())
	}
	if _, ok, err := h.store.Traffic(faulted); err != nil || ok {
		t.Errorf("cache for %s: got ok=%v err=%v, want nothing cached", faulted, ok, err)
	}

	// The failure is not cached: the next cycle asks again, for that instance only.
	h.sim.ResetCalls()
	got, calls, err = h.enricher(2).Enrich(context.Background(), t0, nil, h.instances())
	if err != nil || got[faulted] == nil || calls != 3 || len(h.trafficCalls()[faulted]) != 3 {
		t.Errorf("retry cycle: got err %v, traffic %v, %d calls; want no error, traffic and 3 calls for %s",
			err, got[faulted], calls, faulted)
	}
}

func TestEnrichMalformedParams(t *testing.T) {
	api := apiFunc(func(context.Context, string, time.Time, time.Time) (zen.Traffic, error) {
		t.Error("DescribeInstanceTraffic called with malformed params")
		return zen.Traffic{}, nil
	})
	params := map[string]any{"idle": map[string]any{"window": "three days"}}
	got, calls, err := New(Options{API: api}).Enrich(context.Background(), t0, params,
		[]zen.Instance{inst("a", zen.StatusRunning, 30*day)})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Key != "idle.window" {
		t.Errorf("error: got %v, want a ParamError for idle.window", err)
	}
	if got != nil || calls != 0 {
		t.Errorf("got %v and %d calls, want nothing", got, calls)
	}
}

func TestEnrichCancelled(t *testing.T) {
	var n int
	api := apiFunc(func(context.Context, string, time.Time, time.Time) (zen.Traffic, error) {
		n++
		return zen.Traffic{}, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := []zen.Instance{inst("a", zen.StatusRunning, 30*day), inst("b", zen.StatusRunning, 30*day)}
	got, calls, err := New(Options{API: api, Concurrency: 1}).Enrich(ctx, t0, nil, in)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error: got %v, want context.Canceled", err)
	}
	if len(got) != 2 || got["a"] != nil || got["b"] != nil || calls != 0 || n != 0 {
		t.Errorf("got %v and %d calls (%d seen), want both pending and no calls", got, calls, n)
	}
}
