package enrich

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// t0 is the test clock's start; it is not on a 5-minute boundary, so windows end at 08:00.
var t0 = time.Date(2026, 11, 26, 8, 3, 0, 0, time.UTC)

// simHarness is the simulator behind httptest, the real client, and a real state store.
type simHarness struct {
	clock  *clocktest.Clock
	sim    *zensim.Server
	client *zen.Client
	store  *state.Store
}

// newSimHarness loads fleet into a fresh simulator whose clock is t0.
func newSimHarness(t *testing.T, fleet ...zensim.SimInstance) *simHarness {
	t.Helper()
	clock := clocktest.New(t0)
	sim := zensim.New(zensim.Options{Now: clock.Now, Keys: map[string]string{"AK": "secret"}})
	if err := sim.Load(zensim.Fleet{Instances: fleet}); err != nil {
		t.Fatalf("load fleet: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := zen.New(
		zen.WithEndpoint(srv.URL),
		zen.WithAccessKey("AK", "secret"),
		zen.WithClock(clock.Now),
		zen.WithRequestsPerSecond(math.Inf(1)),
		zen.WithRetry(1, time.Millisecond, time.Millisecond),
	)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return &simHarness{clock: clock, sim: sim, client: client, store: openStore(t, clock.Now)}
}

// enricher returns an Enricher over the harness's client and store.
func (h *simHarness) enricher(concurrency int) *Enricher {
	return New(Options{API: h.client, Cache: h.store, Concurrency: concurrency})
}

// instances returns the simulator's fleet as the client would list it.
func (h *simHarness) instances() []zen.Instance {
	var out []zen.Instance
	for _, s := range h.sim.Instances() {
		out = append(out, s.Domain())
	}
	return out
}

// trafficCalls returns the DescribeInstanceTraffic calls the simulator saw, by instance ID.
func (h *simHarness) trafficCalls() map[string][]zensim.Call {
	out := map[string][]zensim.Call{}
	for _, c := range h.sim.Calls() {
		if c.Action == "DescribeInstanceTraffic" && len(c.InstanceIDs) == 1 {
			out[c.InstanceIDs[0]] = append(out[c.InstanceIDs[0]], c)
		}
	}
	return out
}

// totalTrafficCalls counts the DescribeInstanceTraffic calls the simulator saw.
func (h *simHarness) totalTrafficCalls() int {
	n := 0
	for _, cs := range h.trafficCalls() {
		n += len(cs)
	}
	return n
}

func openStore(t testing.TB, now func() time.Time) *state.Store {
	t.Helper()
	s, err := state.Open(t.TempDir(), state.WithNow(now))
	if err != nil {
		t.Fatalf("open state: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close state: %v", err)
		}
	})
	return s
}

func ptr[T any](v T) *T { return &v }

// sim returns a simulated instance created age before t0.
func sim(id string, status zen.Status, age time.Duration, tr zensim.TrafficProfile) zensim.SimInstance {
	return zensim.SimInstance{ID: id, Name: "vm-" + id, Status: status, CreatedAt: t0.Add(-age), Traffic: tr}
}

// inst returns a domain instance created age before t0.
func inst(id string, status zen.Status, age time.Duration) zen.Instance {
	return zen.Instance{ID: id, Status: status, CreatedAt: t0.Add(-age)}
}

// apiFunc adapts a function to TrafficAPI.
type apiFunc func(ctx context.Context, id string, start, end time.Time) (zen.Traffic, error)

func (f apiFunc) DescribeInstanceTraffic(ctx context.Context, id string, start, end time.Time) (zen.Traffic, error) {
	return f(ctx, id, start, end)
}

// bps is a known figure.
func bps(v int64) zen.Measure { return zen.Measure{Value: v, Valid: true} }

// flatPoints returns one point per 5 minutes in (start, end] at the given rates.
func flatPoints(start, end time.Time, in, out int64) []zen.TrafficPoint {
	var ps []zen.TrafficPoint
	for t := start.Truncate(Step).Add(Step); !t.After(end); t = t.Add(Step) {
		ps = append(ps, zen.TrafficPoint{Time: t, InBps: bps(in), OutBps: bps(out)})
	}
	return ps
}

const day = 24 * time.Hour
