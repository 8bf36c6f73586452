package enrich

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// The direct computation over every point of a window: what the figures built from cached days
// (summarizeDays) must equal. Tests only.

// summarize computes the 95th percentile and the mean of each direction over the points that
// carry both figures; points must hold one point per sample time. A point without a figure is
// counted as missing, never as zero bandwidth.
func summarize(points []zen.TrafficPoint) summary {
	in := make([]int64, 0, len(points))
	out := make([]int64, 0, len(points))
	for _, p := range points {
		if p.Complete() {
			in, out = append(in, p.InBps.Value), append(out, p.OutBps.Value)
		}
	}
	n := len(in)
	s := summary{samples: n, missing: len(points) - n}
	if n == 0 {
		return s
	}
	s.inP95, s.outP95, s.inAvg, s.outAvg = p95(in), p95(out), mean(in), mean(out)
	return s
}

// p95 is the nearest-rank 95th percentile: the value at rank ceil(0.95·n) of the ascending
// order. It sorts vals.
func p95(vals []int64) int64 {
	slices.Sort(vals)
	k := (95*len(vals)+99)/100 - 1
	return vals[k]
}

// mean is the average, rounded down.
func mean(vals []int64) int64 {
	var sum int64
	for _, v := range vals {
		sum += v
	}
	return sum / int64(len(vals))
}

// TestDaysMatchEveryPoint: over random traffic (ties, zeros, spikes, figureless points, holes),
// fetched in random increments as refreshes would, the figures from the cached days equal the
// direct computation over every point of the same window.
func TestDaysMatchEveryPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		w := []time.Duration{MinWindow, DefaultWindow, 7 * day, MaxWindow}[trial%4]
		keep := keepFor(w)
		start := t0.Add(-w).Truncate(Step)
		points := map[int64]zen.TrafficPoint{}
		value := func() int64 {
			switch rng.IntN(4) {
			case 0:
				return 0
			case 1:
				return int64(rng.IntN(5)) // many ties
			case 2:
				return rng.Int64N(1 << 40) // spikes
			}
			return int64(rng.IntN(100_000))
		}
		var days []state.TrafficDay
		from, now := start, start // the first round fetches the whole window, cold
		end := t0.Add(time.Duration(rng.IntN(72)) * time.Hour).Truncate(Step)
		for first := true; first || now.Before(end); first = false {
			if first {
				now = start.Add(w)
			} else {
				now = minTime(end, now.Add(time.Duration(1+rng.IntN(24*12))*Step))
			}
			var batch []zen.TrafficPoint
			for p := from.Add(Step); !p.After(now); p = p.Add(Step) {
				if rng.IntN(20) == 0 {
					continue // a hole
				}
				pt := zen.TrafficPoint{Time: p, InBps: bps(value()), OutBps: bps(value())}
				if rng.IntN(50) == 0 {
					pt.OutBps = zen.Measure{} // no figure
				}
				points[p.Unix()] = pt
				batch = append(batch, pt)
			}
			days = addPoints(days, from, now, batch, keep)
			if kept, ok := usableDays(days, w, now); ok {
				days = kept
			} else {
				t.Fatalf("trial %d: days stopped serving the window at %s", trial, now)
			}
			from = days[len(days)-1].Through
		}
		win := daysWindow(days, now)
		var all []zen.TrafficPoint
		for _, p := range points {
			if win.contains(p.Time) {
				all = append(all, p)
			}
		}
		if got, want := summarizeDays(days), summarize(all); got != want {
			t.Fatalf("trial %d (window %s, %d days): from days %+v, from every point %+v", trial, w, len(days), got, want)
		}
		if l := win.end.Sub(win.start); l < w || l >= w+day {
			t.Fatalf("trial %d: window %s for idle.window %s", trial, l, w)
		}
	}
}
