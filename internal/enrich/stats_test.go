package enrich

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestP95(t *testing.T) {
	tests := []struct {
		name string
		vals []int64
		want int64
	}{
		{"one", []int64{7}, 7},
		{"four points: the max", []int64{1, 4, 2, 3}, 4},
		{"twenty points: the 19th", []int64{20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 19},
		{"twenty-one points: the 20th", []int64{21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 20},
		{"hundred points: the 95th", seq(100), 95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p95(tt.vals); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func seq(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(n - i)
	}
	return out
}

func TestComplete(t *testing.T) {
	start := t0.Add(-72 * time.Hour)
	none, one := 0, 1
	tests := []struct {
		name              string
		samples, expected int
		missing           *int
		created           time.Time
		want              bool
	}{
		{"all points", 864, 864, &none, start.Add(-time.Hour), true},
		{"exactly 90 %", 778, 864, &none, start.Add(-time.Hour), true}, // 777.6 rounds up
		{"just under 90 %", 777, 864, &none, start.Add(-time.Hour), false},
		{"created when the window began", 864, 864, &none, start, true},
		{"created inside the window", 864, 864, &none, start.Add(time.Second), false},
		{"unknown creation", 864, 864, &none, time.Time{}, false},
		{"nothing expected", 0, 0, &none, start.Add(-time.Hour), false},
		{"one point without a figure", 863, 864, &one, start.Add(-time.Hour), false},
		{"missing points not counted (old record)", 864, 864, nil, start.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := complete(tt.samples, tt.missing, tt.expected, start, tt.created); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChunks(t *testing.T) {
	now := t0 // 08:03
	end := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	old := now.Add(-365 * day)
	tests := []struct {
		name    string
		window  time.Duration
		created time.Time
		want    []window
	}{
		{"72h: three days, newest first", 72 * time.Hour, old, []window{
			{end.Add(-day), end}, {end.Add(-2 * day), end.Add(-day)}, {end.Add(-3 * day), end.Add(-2 * day)},
		}},
		{"30h: a day and six hours", 30 * time.Hour, old, []window{
			{end.Add(-day), end}, {end.Add(-30 * time.Hour), end.Add(-day)},
		}},
		{"created 30h ago: the request before it is left out", 72 * time.Hour, now.Add(-30 * time.Hour), []window{
			{end.Add(-day), end}, {end.Add(-2 * day), end.Add(-day)},
		}},
		{"created right at a chunk end: that chunk is left out", 72 * time.Hour, end.Add(-day), []window{
			{end.Add(-day), end},
		}},
		{"30 days: the oldest request starts inside the history", MaxWindow, old, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chunks(windowAt(now, tt.window), tt.created, now)
			if tt.want == nil {
				if len(got) != 30 {
					t.Fatalf("got %d requests, want 30", len(got))
				}
				oldest := got[len(got)-1]
				wantStart := now.Add(-MaxWindow + time.Minute + time.Second)
				if !oldest.start.Equal(wantStart) || !oldest.end.Equal(end.Add(-29*day)) {
					t.Errorf("oldest request: got %s..%s, want %s..%s", oldest.start, oldest.end, wantStart, end.Add(-29*day))
				}
				if next := oldest.start.Truncate(Step).Add(Step); !next.Equal(end.Add(-MaxWindow + Step)) {
					t.Errorf("first point of the oldest request: got %s, want %s (none lost)", next, end.Add(-MaxWindow+Step))
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(window{})); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnrichUsesEveryPointNotPerCallFigures(t *testing.T) {
	// Two busy hours in 72 quiet ones: 24 of 864 points (2.8 %) are high, so the window's p95 is
	// quiet, while the p95 of the day holding them (24 of 288, 8.3 %) is busy. The per-call
	// summary figures are nonsense on purpose.
	end := t0.Truncate(Step)
	busyFrom, busyTo := end.Add(-10*time.Hour), end.Add(-8*time.Hour)
	var calls atomic.Int64
	api := apiFunc(func(_ context.Context, _ string, start, stop time.Time) (zen.Traffic, error) {
		calls.Add(1)
		ps := flatPoints(start, stop, 100, 50)
		for i := range ps {
			if ps[i].Time.After(busyFrom) && !ps[i].Time.After(busyTo) {
				ps[i].InBps, ps[i].OutBps = bps(1_000_000), bps(2_000_000)
			}
		}
		return zen.Traffic{Points: ps, In95Bps: bps(999_999), Out95Bps: bps(999_999), InAvgBps: bps(1), OutAvgBps: bps(1)}, nil
	})
	got, _, err := New(Options{API: api}).Enrich(context.Background(), t0, nil, []zen.Instance{inst("x", zen.StatusRunning, 30*day)})
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	tr := got["x"]
	wantInAvg := (840*100 + 24*1_000_000) / 864
	wantOutAvg := (840*50 + 24*2_000_000) / 864
	if tr == nil || tr.InP95Bps != 100 || tr.OutP95Bps != 50 || tr.InAvgBps != int64(wantInAvg) || tr.OutAvgBps != int64(wantOutAvg) {
		t.Errorf("got %+v, want p95 100/50 and avg %d/%d", tr, wantInAvg, wantOutAvg)
	}
}

func TestEnrichCountsSharedBoundaryPointsOnce(t *testing.T) {
	// An API that includes both ends of each range repeats the point at every chunk boundary and
	// adds one at the window's start.
	api := apiFunc(func(_ context.Context, _ string, start, end time.Time) (zen.Traffic, error) {
		ps := append([]zen.TrafficPoint{{Time: start, InBps: bps(7), OutBps: bps(7)}}, flatPoints(start, end, 7, 7)...)
		return zen.Traffic{Points: ps}, nil
	})
	got, calls, err := New(Options{API: api}).Enrich(context.Background(), t0, nil, []zen.Instance{inst("x", zen.StatusRunning, 30*day)})
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if tr := got["x"]; calls != 3 || tr == nil || tr.Samples != 864 || !tr.Complete {
		t.Errorf("got %d calls and %+v, want 3 calls and 864 complete samples", calls, tr)
	}
}

// TestEnrichAbsentFiguresAreMissingSamples: a point whose figure the API left out is a missing
// sample, never zero bandwidth. A window with any such point is incomplete, whatever share of
// points it has, and its figures are computed from the points that have both.
func TestEnrichAbsentFiguresAreMissingSamples(t *testing.T) {
	tests := []struct {
		name        string
		blank       func(p *zen.TrafficPoint)
		every       int // blank every n-th point of each call
		wantSamples int
	}{
		{"one inbound figure absent", func(p *zen.TrafficPoint) { p.InBps = zen.Measure{} }, 288, 861},
		{"one outbound figure absent", func(p *zen.TrafficPoint) { p.OutBps = zen.Measure{} }, 288, 861},
		{"every figure absent", func(p *zen.TrafficPoint) { p.InBps, p.OutBps = zen.Measure{}, zen.Measure{} }, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := apiFunc(func(_ context.Context, _ string, start, end time.Time) (zen.Traffic, error) {
				ps := flatPoints(start, end, 5, 5)
				for i := range ps {
					if (i+1)%tt.every == 0 {
						tt.blank(&ps[i])
					}
				}
				return zen.Traffic{Points: ps}, nil
			})
			got, _, err := New(Options{API: api}).Enrich(context.Background(), t0, nil, []zen.Instance{inst("x", zen.StatusRunning, 30*day)})
			if err != nil {
				t.Fatalf("Enrich: %v", err)
			}
			tr := got["x"]
			if tr == nil || tr.Complete || tr.Samples != tt.wantSamples {
				t.Fatalf("got %+v, want %d samples and complete false", tr, tt.wantSamples)
			}
			if tt.wantSamples > 0 && (tr.InP95Bps != 5 || tr.OutAvgBps != 5) {
				t.Errorf("got %+v, want figures 5 from the points that have them", tr)
			}
		})
	}
}

// TestEnrichRefetchesRecordWithoutMissingCount: a cached record that does not say how many
// samples came without a figure (written before they were counted) is not reused, however
// fresh: it could hold absent figures counted as zero.
func TestEnrichRefetchesRecordWithoutMissingCount(t *testing.T) {
	store := openStore(t, func() time.Time { return t0 })
	w := windowAt(t0, 72*time.Hour)
	old := state.TrafficRecord{InstanceID: "x", FetchedAt: t0.Add(-time.Minute), WindowStart: w.start, WindowEnd: w.end,
		Samples: 864, Expected: 864}
	if err := store.PutTraffic(old); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	api := apiFunc(func(_ context.Context, _ string, start, end time.Time) (zen.Traffic, error) {
		calls.Add(1)
		return zen.Traffic{Points: flatPoints(start, end, 5, 5)}, nil
	})
	got, n, err := New(Options{API: api, Cache: store}).Enrich(context.Background(), t0, nil, []zen.Instance{inst("x", zen.StatusRunning, 30*day)})
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if n != 3 || calls.Load() != 3 || got["x"] == nil || !got["x"].Complete {
		t.Fatalf("got %d calls and %+v, want the window fetched again (3 calls) and complete", n, got["x"])
	}
	rec, ok, err := store.Traffic("x")
	if err != nil || !ok || rec.Missing == nil || *rec.Missing != 0 {
		t.Errorf("cached record %+v (ok %v, err %v), want one that counts 0 missing samples", rec, ok, err)
	}
}
