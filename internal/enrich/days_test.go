package enrich

import (
	"context"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// directFigures asks the simulator for every point of w (in 24h requests, outside the counted
// calls) and summarizes them the way a cold fetch of exactly that window would.
func (h *simHarness) directFigures(t *testing.T, id string, w window) summary {
	t.Helper()
	var points []zen.TrafficPoint
	for _, c := range chunks(w, time.Time{}, h.clock.Now()) {
		tr, err := h.client.DescribeInstanceTraffic(context.Background(), id, c.start, c.end)
		if err != nil {
			t.Fatalf("direct fetch %s %s..%s: %v", id, c.start, c.end, err)
		}
		for _, p := range tr.Points {
			if w.contains(p.Time) {
				points = append(points, p)
			}
		}
	}
	return summarize(dedupe(points))
}

func dedupe(ps []zen.TrafficPoint) []zen.TrafficPoint {
	seen := map[int64]bool{}
	var out []zen.TrafficPoint
	for _, p := range ps {
		if !seen[p.Time.Unix()] {
			seen[p.Time.Unix()] = true
			out = append(out, p)
		}
	}
	return out
}

// TestEnrichSteadyStateOneCallPerRefresh warms a fleet, then runs a cycle every 30 minutes for
// four days: every instance due for its refresh costs exactly one call (but one refresh of "off",
// which reads an incomplete day again), no other instance costs any, and the figures built from the cached days equal those of every point of the window
// fetched at once.
func TestEnrichSteadyStateOneCallPerRefresh(t *testing.T) {
	fleet := []zensim.SimInstance{
		sim("a", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 2000, OutBps: 1000, Jitter: 0.9}),
		sim("b", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 90_000, OutBps: 70_000, Jitter: 0.5}),
		sim("c", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 5_000_000, OutBps: 3_000_000, Jitter: 0.3}),
		sim("d", zen.StatusStopped, 30*day, zensim.TrafficProfile{}),
		// Off for a day in the middle of the run: incomplete while that day is in the window.
		// The run ends before the window could leave that day behind.
		sim("off", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10,
			GapsFrom: ptr(t0.Add(36 * time.Hour)), GapsTo: ptr(t0.Add(60 * time.Hour))}),
	}
	h := newSimHarness(t, fleet...)
	e := h.enricher(0)
	params := policies.DefaultParams()
	last := map[string]time.Time{}

	for step := 0; step <= 4*48; step++ {
		now := t0.Add(time.Duration(step) * 30 * time.Minute)
		h.clock.Set(now)
		h.sim.ResetCalls()
		got, calls, err := e.Enrich(context.Background(), now, params, h.instances())
		if err != nil {
			t.Fatalf("step %d (%s): Enrich: %v", step, now, err)
		}
		seen := h.trafficCalls()
		if total := h.totalTrafficCalls(); total != calls {
			t.Fatalf("step %d: Enrich reported %d calls, the simulator saw %d", step, calls, total)
		}
		for _, s := range fleet {
			id := s.ID
			want := 0
			switch {
			case step == 0:
				want = 3 // cold: the 72h window in 24h requests
			case !NextRefresh(id, last[id], DefaultRefresh).After(now):
				want = 1 // due: only what came since the last refresh
			}
			if id == "off" && now.Equal(t0.Add(46*time.Hour+30*time.Minute)) {
				// Its refresh 6h earlier counted the window complete with 4.5h of the gap
				// (6 %): the day the gap began was incomplete, so it is read again once.
				want = 2
			}
			if n := len(seen[id]); n != want {
				t.Fatalf("step %d (%s): %s got %d calls, want %d", step, now, id, n, want)
			}
			if want > 0 {
				last[id] = now
			}
			tr := got[id]
			if tr == nil {
				t.Fatalf("step %d: %s has no traffic", step, id)
			}
			if ws := time.Duration(tr.WindowSeconds) * time.Second; ws < DefaultWindow || ws >= DefaultWindow+day {
				t.Errorf("step %d: %s window %s, want at least 72h and less than 96h", step, id, ws)
			}
			if step%12 == 0 {
				checkAgainstDirect(t, h, id, step)
			}
		}
		// Once the day off is in the window (and in the data cached at least 6h), more than 10 %
		// of the points are absent: never complete, and the absent points never count as 0 bps.
		if tr := got["off"]; !now.Before(t0.Add(60*time.Hour)) && tr.Complete {
			t.Errorf("step %d: off after a day powered off is complete (%+v), want incomplete", step, tr)
		}
	}
}

// checkAgainstDirect compares the cached figures of id with a direct computation over the same
// window.
func checkAgainstDirect(t *testing.T, h *simHarness, id string, step int) {
	t.Helper()
	rec, ok, err := h.store.Traffic(id)
	if err != nil || !ok {
		t.Fatalf("step %d: cached %s: ok=%v err=%v", step, id, ok, err)
	}
	want := h.directFigures(t, id, window{start: rec.WindowStart, end: rec.WindowEnd})
	got := summary{samples: rec.Samples, missing: *rec.Missing, inP95: rec.InP95, outP95: rec.OutP95, inAvg: rec.InAvg, outAvg: rec.OutAvg}
	if got != want {
		t.Errorf("step %d: %s figures from days %+v, want %+v (every point of %s..%s)", step, id, got, want,
			rec.WindowStart, rec.WindowEnd)
	}
}

// TestEnrichJitterSpreadsRefreshes: a fleet fetched at one moment comes due spread evenly over
// the refresh interval, each instance within it, at a time that depends only on its ID.
func TestEnrichJitterSpreadsRefreshes(t *testing.T) {
	const n = 12_000
	buckets := make([]int, 6)
	for i := range n {
		id := "93223736956" + time.Duration(i).String()
		at := NextRefresh(id, t0, DefaultRefresh)
		if !at.After(t0) || at.After(t0.Add(DefaultRefresh)) {
			t.Fatalf("%s refreshes at %s, want within (t0, t0+6h]", id, at)
		}
		if again := NextRefresh(id, t0, DefaultRefresh); !again.Equal(at) {
			t.Fatalf("%s: NextRefresh not deterministic: %s then %s", id, at, again)
		}
		// Fetched again at its refresh, the next one is a whole interval later.
		if next := NextRefresh(id, at, DefaultRefresh); !next.Equal(at.Add(DefaultRefresh)) {
			t.Fatalf("%s: refreshed at %s, next at %s, want %s", id, at, next, at.Add(DefaultRefresh))
		}
		buckets[int(at.Sub(t0)-1)/int(time.Hour)]++
	}
	for h, c := range buckets {
		if c < n/6*9/10 || c > n/6*11/10 {
			t.Errorf("hour %d after the fetch: %d of %d instances due, want about %d", h+1, c, n, n/6)
		}
	}
}

// TestEnrichLateAndMissingDataIsNeverZero: points the API sends late are asked for again, a
// failed refresh leaves the instance pending and the cache as it was, and absent or figureless
// points are never counted as 0 bps.
func TestEnrichLateAndMissingDataIsNeverZero(t *testing.T) {
	const lag = 20 * time.Minute
	var asked []window
	var failNext bool
	now := t0
	api := apiFunc(func(_ context.Context, _ string, start, end time.Time) (zen.Traffic, error) {
		asked = append(asked, window{start, end})
		if failNext {
			return zen.Traffic{}, &zen.APIError{HTTPStatus: 500, Code: "INTERNAL_SERVER_ERROR"}
		}
		// The newest 20 minutes have not arrived yet.
		return zen.Traffic{Points: flatPoints(start, minTime(end, now.Add(-lag)), 0, 0)}, nil
	})
	store := openStore(t, func() time.Time { return now })
	e := New(Options{API: api, Cache: store, Concurrency: 1})
	in := []zen.Instance{inst("a", zen.StatusRunning, 30*day)}
	enrich := func() map[string]*policy.Traffic {
		t.Helper()
		asked = nil
		got, _, _ := e.Enrich(context.Background(), now, nil, in)
		return got
	}

	tr := enrich()["a"]
	if tr == nil || tr.Samples != 864-4 || !tr.Complete || tr.InP95Bps != 0 {
		t.Fatalf("cold: got %+v, want 860 samples of 0 bps (the 4 late points absent, not 0), complete", tr)
	}
	rec, _, _ := store.Traffic("a")
	if got, want := rec.Days[len(rec.Days)-1].Through, windowAt(t0, DefaultWindow).end.Add(-lag); !got.Equal(want) {
		t.Fatalf("newest day through %s, want %s: the last point that arrived", got, want)
	}

	now = NextRefresh("a", t0, DefaultRefresh)
	tr = enrich()["a"]
	if len(asked) != 1 || !asked[0].start.Equal(rec.Days[len(rec.Days)-1].Through) {
		t.Fatalf("refresh asked %v, want one call from the last point that arrived", asked)
	}
	if tr == nil || tr.Samples != int(tr.WindowSeconds/300)-4 {
		t.Errorf("refresh: got %+v, want every point but the 4 newest, late ones", tr)
	}

	// A failed refresh: pending (nil, never zeros), and the cached days stay for the next one.
	before, _, _ := store.Traffic("a")
	failNext = true
	now = NextRefresh("a", now, DefaultRefresh)
	if got := enrich(); got["a"] != nil {
		t.Errorf("failed refresh: got %+v, want pending (nil)", got["a"])
	}
	after, _, _ := store.Traffic("a")
	if !after.FetchedAt.Equal(before.FetchedAt) || len(after.Days) != len(before.Days) {
		t.Errorf("failed refresh changed the cache: fetched %s -> %s", before.FetchedAt, after.FetchedAt)
	}
	failNext = false
	now = now.Add(30 * time.Minute)
	tr = enrich()["a"]
	if len(asked) != 1 || !asked[0].start.Equal(before.Days[len(before.Days)-1].Through) || tr == nil {
		t.Errorf("after the failure: asked %v, got %+v; want one call from where the cache ended, and traffic", asked, tr)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// TestEnrichDaysWithAHoleAreFetchedAnew: cached days that do not follow each other, or that were
// kept with too few figures for the window, never stand in for data: the window is fetched whole.
func TestEnrichDaysWithAHoleAreFetchedAnew(t *testing.T) {
	h := newSimHarness(t, sim("a", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10}))
	e := h.enricher(0)
	if _, calls, err := e.Enrich(context.Background(), t0, nil, h.instances()); err != nil || calls != 3 {
		t.Fatalf("cold: %d calls, %v", calls, err)
	}
	rec, _, _ := h.store.Traffic("a")
	for name, edit := range map[string]func(r *state.TrafficRecord){
		"a day left out":       func(r *state.TrafficRecord) { r.Days = append(r.Days[:1:1], r.Days[2:]...) },
		"too few figures kept": func(r *state.TrafficRecord) { r.Days[0].Keep = 10 },
	} {
		t.Run(name, func(t *testing.T) {
			bad := rec
			bad.Days = append([]state.TrafficDay(nil), rec.Days...)
			edit(&bad)
			bad.FetchedAt = t0.Add(-DefaultRefresh) // due
			if err := h.store.PutTraffic(bad); err != nil {
				t.Fatal(err)
			}
			h.sim.ResetCalls()
			got, calls, err := e.Enrich(context.Background(), t0, nil, h.instances())
			if err != nil || calls != 3 || got["a"] == nil || got["a"].Samples != 864 {
				t.Errorf("got %d calls, %+v, %v; want the whole window again (3 calls, 864 samples)", calls, got["a"], err)
			}
		})
	}
}

// TestFlatRecordIsFresh: the record FlatRecord builds is what a fetch would cache: fresh at its
// fetch time, complete, with the given figures.
func TestFlatRecordIsFresh(t *testing.T) {
	r := FlatRecord("a", t0, DefaultWindow, 7, 9)
	p, _ := ParseParams(nil)
	if !p.fresh(r, "a", t0) {
		t.Errorf("FlatRecord is not fresh at its fetch time: %+v", r)
	}
	tr := traffic(r, t0.Add(-30*day))
	if !tr.Complete || tr.Samples != 864 || tr.InP95Bps != 7 || tr.OutP95Bps != 9 || tr.InAvgBps != 7 {
		t.Errorf("traffic %+v, want 864 complete samples at 7/9 bps", tr)
	}
}

// TestEnrichIncompleteDaysAreAskedAgain: a day that was incomplete when it was fetched is not
// final. A gap under 10 % (the window still counts as complete, so it may make an instance idle)
// that the API fills in later is read again at the next refresh: one call for the day, besides the
// usual one, and the figures then equal a direct read of every point. Once the day is whole it
// costs nothing more; a re-read that brings fewer points than the cached day keeps the cached day.
func TestEnrichIncompleteDaysAreAskedAgain(t *testing.T) {
	// Two hours without points on the day before t0's (2.8 % of a 72h window).
	gapFrom, gapTo := t0.Add(-30*time.Hour), t0.Add(-28*time.Hour)
	h := newSimHarness(t, sim("a", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10,
		GapsFrom: ptr(gapFrom), GapsTo: ptr(gapTo)}))
	e := h.enricher(0)
	got, calls, err := e.Enrich(context.Background(), t0, nil, h.instances())
	if err != nil || calls != 3 || got["a"] == nil || !got["a"].Complete || got["a"].Samples != 864-24 {
		t.Fatalf("cold: %d calls, %+v, %v; want 3 calls and a complete window of 840 samples", calls, got["a"], err)
	}
	// The API fills the gap in.
	h.sim.Mutate("a", func(in *zensim.SimInstance) { in.Traffic.GapsFrom, in.Traffic.GapsTo = nil, nil })
	now := NextRefresh("a", t0, DefaultRefresh)
	h.clock.Set(now)
	h.sim.ResetCalls()
	got, calls, err = e.Enrich(context.Background(), now, nil, h.instances())
	if err != nil || got["a"] == nil {
		t.Fatalf("refresh: %+v, %v", got["a"], err)
	}
	want := int(got["a"].WindowSeconds / 300)
	if got["a"].Samples != want || calls != 2 {
		t.Errorf("refresh after the API filled the gap: %d calls, %d samples; want 2 calls (the day again, and what is new) and every point (%d)",
			calls, got["a"].Samples, want)
	}
	checkAgainstDirect(t, h, "a", 1)
	// Whole now: the next refresh is one call again.
	now = NextRefresh("a", now, DefaultRefresh)
	h.clock.Set(now)
	h.sim.ResetCalls()
	if _, calls, err = e.Enrich(context.Background(), now, nil, h.instances()); err != nil || calls != 1 {
		t.Errorf("refresh once every day is whole: %d calls, %v; want 1", calls, err)
	}
}

// TestRereadNeverLosesPoints: a day read again keeps whichever reading has more samples.
func TestRereadNeverLosesPoints(t *testing.T) {
	day0 := t0.Truncate(dayLength).Add(-dayLength)
	full := flatPoints(day0, day0.Add(dayLength), 7, 7)
	keep := keepFor(DefaultWindow)
	cached := addPoints(nil, day0, day0.Add(dayLength), full[:200], keep)
	if len(cached) != 1 || cached[0].Samples != 200 || !unsettled(cached[0]) {
		t.Fatalf("cached day = %+v", cached)
	}
	if d := reread(cached[0], full[:100], keep); d.Samples != 200 {
		t.Errorf("a re-read with fewer points: %d samples, want the cached 200", d.Samples)
	}
	due := int(cached[0].Through.Sub(cached[0].From) / Step)
	if d := reread(cached[0], full, keep); d.Samples != due || !d.Through.Equal(cached[0].Through) || !d.From.Equal(cached[0].From) || unsettled(d) {
		t.Errorf("a re-read with every point: %+v, want %d samples over the same range", d, due)
	}
}

// TestRereadOfTheNewestDayNeverLosesPoints: the newest cached day, incomplete when fetched, is
// asked for again with the range after it; when the API's answer now brings fewer of its points
// (it lost hours it had served), the points read before are kept, as for any other day read
// again: the refresh ends with the figures of one whose API lost nothing.
func TestRereadOfTheNewestDayNeverLosesPoints(t *testing.T) {
	refresh := func(lose bool) *policy.Traffic {
		gapFrom, gapTo := t0.Add(-3*time.Hour), t0.Add(-160*time.Minute)
		h := newSimHarness(t, sim("a", zen.StatusRunning, 30*day, zensim.TrafficProfile{InBps: 10, OutBps: 10,
			GapsFrom: ptr(gapFrom), GapsTo: ptr(gapTo)}))
		e := h.enricher(0)
		got, _, err := e.Enrich(context.Background(), t0, nil, h.instances())
		if err != nil || got["a"] == nil || !got["a"].Complete {
			t.Fatalf("cold: %+v, %v; want a complete window", got["a"], err)
		}
		if lose {
			h.sim.Mutate("a", func(in *zensim.SimInstance) { in.Traffic.GapsFrom = ptr(t0.Add(-7 * time.Hour)) })
		}
		now := NextRefresh("a", t0, DefaultRefresh)
		h.clock.Set(now)
		got, _, err = e.Enrich(context.Background(), now, nil, h.instances())
		if err != nil || got["a"] == nil {
			t.Fatalf("refresh: %+v, %v", got["a"], err)
		}
		return got["a"]
	}
	kept, lost := refresh(false), refresh(true)
	if lost.Samples != kept.Samples {
		t.Errorf("refresh after the API lost 4h of the newest day: %d samples, want the %d read before", lost.Samples, kept.Samples)
	}
}
