package enrich

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func TestEnrichCache(t *testing.T) {
	h := newSimHarness(t,
		sim("a", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 500, OutBps: 700, Jitter: 0.2}),
		sim("b", zen.StatusStopped, 30*day, zensim.TrafficProfile{}),
	)
	e := h.enricher(0)
	enrich := func(now time.Time, params map[string]any) (int, map[string]int64) {
		t.Helper()
		h.clock.Set(now)
		h.sim.ResetCalls()
		got, calls, err := e.Enrich(context.Background(), now, params, h.instances())
		if err != nil {
			t.Fatalf("Enrich at %s: %v", now, err)
		}
		if seen := h.totalTrafficCalls(); seen != calls {
			t.Fatalf("Enrich at %s reported %d calls, the simulator saw %d", now, calls, seen)
		}
		p95 := map[string]int64{}
		for id, tr := range got {
			p95[id] = tr.InP95Bps
		}
		return calls, p95
	}

	calls, first := enrich(t0, nil)
	if calls != 6 || len(first) != 2 {
		t.Fatalf("first cycle: got %d calls and %v, want 6 calls and 2 instances", calls, first)
	}
	for _, id := range []string{"a", "b"} {
		rec, ok, err := h.store.Traffic(id)
		if err != nil || !ok || !rec.FetchedAt.Equal(t0) || rec.Expected != 864 || rec.Samples != 864 {
			t.Errorf("cached %s: got %+v ok=%v err=%v, want a record fetched at t0 with 864 of 864 samples", id, rec, ok, err)
		}
	}

	// Each instance refreshes at its own phase of idle.refresh (NextRefresh); a refresh asks
	// only for what came after the cached days: one call.
	ra, rb := NextRefresh("a", t0, DefaultRefresh), NextRefresh("b", t0, DefaultRefresh)
	if ra.Equal(rb) {
		t.Fatalf("a and b refresh at the same time %s; the test needs them apart", ra)
	}
	firstDue, secondDue := ra, rb
	if rb.Before(ra) {
		firstDue, secondDue = rb, ra
	}
	for _, at := range []time.Time{firstDue, secondDue} {
		if !at.After(t0) || at.After(t0.Add(DefaultRefresh)) {
			t.Fatalf("refresh at %s, want within (t0, t0+%s]", at, DefaultRefresh)
		}
	}
	last := first
	steps := []struct {
		name   string
		at     time.Time
		params map[string]any
		calls  int
	}{
		{"same time: cached", t0, nil, 0},
		{"just before the first instance's refresh: cached", firstDue.Add(-time.Second), nil, 0},
		{"the first instance's refresh: one call for it alone", firstDue, nil, 1},
		{"the second instance's refresh: one call for it alone", secondDue, nil, 1},
		{"refresh interval after t0: both fresh", t0.Add(DefaultRefresh), nil, 0},
		{"another window length: the cached days serve, one call each", t0.Add(DefaultRefresh), map[string]any{"idle": map[string]any{"window": "2d"}}, 2},
		{"back to 72h: the days dropped for 2d are fetched again", t0.Add(DefaultRefresh), nil, 6},
		{"1h refresh: each instance at most once an hour", t0.Add(DefaultRefresh + time.Hour), map[string]any{"idle": map[string]any{"refresh": "1h"}}, 2},
		{"1h refresh, same time: cached", t0.Add(DefaultRefresh + time.Hour), map[string]any{"idle": map[string]any{"refresh": "1h"}}, 0},
	}
	for _, s := range steps {
		calls, got := enrich(s.at, s.params)
		if calls != s.calls {
			t.Errorf("%s: got %d calls, want %d", s.name, calls, s.calls)
		}
		if s.calls == 0 && !cmp.Equal(got, last) {
			t.Errorf("%s: cached p95 differ from the last fetch (-last +got):\n%s", s.name, cmp.Diff(last, got))
		}
		last = got
	}
	rec, ok, err := h.store.Traffic("a")
	if want := t0.Add(DefaultRefresh + time.Hour); err != nil || !ok || !rec.FetchedAt.Equal(want) {
		t.Errorf("cached a: got fetched at %s (ok=%v err=%v), want %s", rec.FetchedAt, ok, err, want)
	}
}

// memCache is an in-memory Cache that can be told to fail.
type memCache struct {
	recs    map[string]state.TrafficRecord
	readErr error
	putErr  error
	puts    int
}

func (m *memCache) Traffic(id string) (state.TrafficRecord, bool, error) {
	if m.readErr != nil {
		return state.TrafficRecord{}, false, m.readErr
	}
	r, ok := m.recs[id]
	return r, ok, nil
}

func (m *memCache) PutTraffic(recs ...state.TrafficRecord) error {
	m.puts++
	if m.putErr != nil {
		return m.putErr
	}
	for _, r := range recs {
		m.recs[r.InstanceID] = r
	}
	return nil
}

func flatAPI(calls *atomic.Int64) apiFunc {
	return func(_ context.Context, _ string, start, end time.Time) (zen.Traffic, error) {
		calls.Add(1)
		return zen.Traffic{Points: flatPoints(start, end, 100, 100)}, nil
	}
}

func TestEnrichCacheFailures(t *testing.T) {
	in := []zen.Instance{inst("a", zen.StatusRunning, 30*day), inst("b", zen.StatusRunning, 30*day)}

	t.Run("unreadable cache: no calls, instances pending", func(t *testing.T) {
		var n atomic.Int64
		boom := errors.New("disk on fire")
		c := &memCache{recs: map[string]state.TrafficRecord{}, readErr: boom}
		got, calls, err := New(Options{API: flatAPI(&n), Cache: c}).Enrich(context.Background(), t0, nil, in)
		var pe *PartialError
		if !errors.As(err, &pe) || pe.Failed != 2 || !errors.Is(err, boom) {
			t.Errorf("error: got %v, want a PartialError for 2 instances wrapping the read error", err)
		}
		if len(got) != 2 || got["a"] != nil || got["b"] != nil || calls != 0 || n.Load() != 0 {
			t.Errorf("got %v, %d calls; want both pending (nil) and no calls", got, calls)
		}
	})

	t.Run("unwritable cache: traffic returned, error reported, one write", func(t *testing.T) {
		var n atomic.Int64
		boom := errors.New("read-only")
		c := &memCache{recs: map[string]state.TrafficRecord{}, putErr: boom}
		got, calls, err := New(Options{API: flatAPI(&n), Cache: c}).Enrich(context.Background(), t0, nil, in)
		if !errors.Is(err, boom) {
			t.Errorf("error: got %v, want the write error", err)
		}
		if len(got) != 2 || calls != 6 || c.puts != 1 {
			t.Errorf("got %d results, %d calls, %d writes; want 2, 6, 1", len(got), calls, c.puts)
		}
	})

	t.Run("a cached record with an error is not reused", func(t *testing.T) {
		var n atomic.Int64
		w := windowAt(t0, DefaultWindow)
		c := &memCache{recs: map[string]state.TrafficRecord{
			"a": {InstanceID: "a", FetchedAt: t0, WindowStart: w.start, WindowEnd: w.end, Expected: 864, Error: "x"},
		}}
		_, calls, err := New(Options{API: flatAPI(&n), Cache: c}).Enrich(context.Background(), t0, nil, in[:1])
		if err != nil || calls != 3 {
			t.Errorf("got %d calls, err %v; want 3 calls", calls, err)
		}
	})
}

func TestEnrichWarmCacheTenThousand(t *testing.T) {
	store := openStore(t, func() time.Time { return t0 })
	in := warmFleet(t, store, 10_000)
	var n atomic.Int64
	e := New(Options{API: flatAPI(&n), Cache: store})
	got, calls, err := e.Enrich(context.Background(), t0, nil, in)
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if calls != 0 || n.Load() != 0 || len(got) != len(in) {
		t.Errorf("got %d calls and %d results, want 0 calls and %d results", calls, len(got), len(in))
	}

	// An hour later, the instances whose refresh came due are fetched, with one call each (the
	// hour since the cached days); the jitter spreads them, so about a sixth of a 6h refresh.
	at := t0.Add(time.Hour)
	due := 0
	for _, i := range in {
		if !NextRefresh(i.ID, t0, DefaultRefresh).After(at) {
			due++
		}
	}
	got, calls, err = e.Enrich(context.Background(), at, nil, in)
	if err != nil {
		t.Fatalf("Enrich an hour later: %v", err)
	}
	if calls != due || int(n.Load()) != due || len(got) != len(in) {
		t.Errorf("an hour later: got %d calls (%d seen), %d results; want %d calls (one per due instance), %d results",
			calls, n.Load(), len(got), due, len(in))
	}
	if lo, hi := len(in)/6-len(in)/30, len(in)/6+len(in)/30; due < lo || due > hi {
		t.Errorf("%d of %d instances due an hour into a 6h refresh, want about a sixth (%d..%d)", due, len(in), lo, hi)
	}
}

func BenchmarkEnrichWarmCache(b *testing.B) {
	store := openStore(b, func() time.Time { return t0 })
	in := warmFleet(b, store, 10_000)
	var n atomic.Int64
	e := New(Options{API: flatAPI(&n), Cache: store})
	for b.Loop() {
		if _, calls, err := e.Enrich(context.Background(), t0, nil, in); err != nil || calls != 0 {
			b.Fatalf("Enrich: %d calls, %v", calls, err)
		}
	}
	if n.Load() != 0 {
		b.Fatalf("the API saw %d calls, want 0", n.Load())
	}
}

// warmFleet stores 72h records fetched at t0 for n old instances and returns the instances.
func warmFleet(tb testing.TB, store *state.Store, n int) []zen.Instance {
	tb.Helper()
	w := windowAt(t0, DefaultWindow)
	days := addPoints(nil, w.start, w.end, flatPoints(w.start, w.end, 10, 10), keepFor(DefaultWindow))
	in := make([]zen.Instance, n)
	recs := make([]state.TrafficRecord, n)
	for i := range n {
		id := fmt.Sprintf("9322373695606%05d", i)
		in[i] = inst(id, zen.StatusRunning, 30*day)
		recs[i] = record(id, t0, w, summarizeDays(days))
		recs[i].Days = days
	}
	if err := store.PutTraffic(recs...); err != nil {
		tb.Fatalf("PutTraffic: %v", err)
	}
	return in
}
