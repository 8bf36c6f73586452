package enrich

import (
	"cmp"
	"slices"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Traffic is kept per UTC day (state.TrafficDay): a day's sums and largest figures are all the
// idle figures need, and a day that ended is never asked for again. A refresh asks only for what
// came after the newest day's Through, which in steady state is one call (the range since the
// last refresh, never more than 24 hours). The window the figures cover starts at the oldest kept
// day's From: it is idle.window long when fetched cold, and grows by up to a day until that day
// can be dropped whole, so it is always at least idle.window and never reaches a day longer.

const dayLength = 24 * time.Hour

// settle is how far back of a range's end a refresh asks again when the newest points of the
// range had not arrived: the API may deliver the newest points late (zenlayer-bmc-api.md §6
// leaves it open), and a point asked for once and never again would stay absent for good.
const settle = time.Hour

// dayOf returns the UTC midnight that starts the day holding a point at t: points at times in
// (Day, Day+24h], the same half-open ranges the API's requests use.
func dayOf(t time.Time) time.Time {
	d := t.UTC().Truncate(dayLength)
	if d.Equal(t) {
		d = d.Add(-dayLength)
	}
	return d
}

// keepFor is how many of the largest figures a day keeps for a window of length w: the 95th
// percentile of n samples is the (n - ceil(0.95n) + 1)-th largest, and a window of whole days
// holds fewer than w + 24h of points.
func keepFor(w time.Duration) int {
	return rankFromTop(int((w + dayLength) / Step))
}

// rankFromTop is the rank, counted from the largest, of the nearest-rank 95th percentile of n
// values (the value p95 returns).
func rankFromTop(n int) int {
	return n - (95*n+99)/100 + 1
}

// usableDays returns the newest run of records that follow each other without a hole and can
// serve a window of length w ending at end: kept with at least keepFor(w) figures, none after
// end. Days that the window no longer needs (the next day alone reaches back to end-w) are
// dropped. ok is false when the run does not reach back to end-w: the window is fetched anew.
func usableDays(days []state.TrafficDay, w time.Duration, end time.Time) (kept []state.TrafficDay, ok bool) {
	need := keepFor(w)
	first := len(days)
	for i := len(days) - 1; i >= 0; i-- {
		d := days[i]
		if d.Keep < need || d.Through.After(end) || d.From.After(d.Through) || d.From.Before(d.Day) {
			break
		}
		if i < len(days)-1 && (!d.Through.Equal(days[i+1].From) || !d.Through.Equal(d.Day.Add(dayLength))) {
			break
		}
		first = i
	}
	kept = days[first:]
	start := end.Add(-w)
	for len(kept) > 1 && !kept[1].From.After(start) {
		kept = kept[1:]
	}
	if len(kept) == 0 || kept[0].From.After(start) {
		return nil, false
	}
	return kept, true
}

// addPoints merges the points of the range (from, end] into days, which end at from (or are
// empty), and returns the days through the range's end. Points outside the range, and points at
// a time already seen, are left out. keep is how many of the largest figures each day keeps.
func addPoints(days []state.TrafficDay, from, end time.Time, points []zen.TrafficPoint, keep int) []state.TrafficDay {
	days = slices.Clone(days)
	byDay := map[time.Time][]zen.TrafficPoint{}
	seen := make(map[int64]bool, len(points))
	var last time.Time
	for _, p := range points {
		k := p.Time.Unix()
		if !p.Time.After(from) || p.Time.After(end) || seen[k] {
			continue
		}
		seen[k] = true
		byDay[dayOf(p.Time)] = append(byDay[dayOf(p.Time)], p)
		last = latest(last, p.Time)
	}
	through := latest(from, end.Add(-settle), last).Truncate(Step)
	if through.After(end) {
		through = end
	}
	for d := dayOf(from.Add(time.Nanosecond)); d.Before(through); d = d.Add(dayLength) {
		if n := len(days); n > 0 && days[n-1].Day.Equal(d) {
			days[n-1] = addDay(days[n-1], byDay[d], through, keep)
			continue
		}
		days = append(days, addDay(state.TrafficDay{Day: d, From: latest(from, d), Through: latest(from, d), Keep: keep},
			byDay[d], through, keep))
	}
	return days
}

// addDay adds a day's new points, keeping only those up to through, and moves its Through.
func addDay(d state.TrafficDay, points []zen.TrafficPoint, through time.Time, keep int) state.TrafficDay {
	d.InTop, d.OutTop = slices.Clone(d.InTop), slices.Clone(d.OutTop)
	for _, p := range points {
		if p.Time.After(through) {
			continue
		}
		if !p.Complete() {
			d.Missing++
			continue
		}
		d.Samples++
		d.InSum += p.InBps.Value
		d.OutSum += p.OutBps.Value
		d.InTop = append(d.InTop, p.InBps.Value)
		d.OutTop = append(d.OutTop, p.OutBps.Value)
	}
	d.InTop, d.OutTop = top(d.InTop, keep), top(d.OutTop, keep)
	d.Keep = keep
	d.Through = through
	if end := d.Day.Add(dayLength); end.Before(through) {
		d.Through = end
	}
	return d
}

// unsettled reports whether day d was incomplete when it was fetched: fewer points than its range
// (From, Through] holds on the 5-minute grid, or a point without a figure. The API may deliver
// such points later, so the day is read again (see reread).
func unsettled(d state.TrafficDay) bool {
	due := int(d.Through.Truncate(Step).Sub(d.From.Truncate(Step)) / Step)
	return d.Missing > 0 || d.Samples < due
}

// reread is day d read again from points, the API's answer for its range (From, Through]: the
// same range, with what the API has now. A reading with fewer samples than d keeps d: data read
// once is never lost to an answer that brings less.
func reread(d state.TrafficDay, points []zen.TrafficPoint, keep int) state.TrafficDay {
	var in []zen.TrafficPoint
	seen := make(map[int64]bool, len(points))
	for _, p := range points {
		if k := p.Time.Unix(); p.Time.After(d.From) && !p.Time.After(d.Through) && !seen[k] {
			seen[k] = true
			in = append(in, p)
		}
	}
	again := addDay(state.TrafficDay{Day: d.Day, From: d.From, Through: d.From, Keep: keep}, in, d.Through, keep)
	if again.Samples < d.Samples || (again.Samples == d.Samples && again.Missing > d.Missing) {
		return d
	}
	return again
}

// top sorts vals largest first and keeps the first keep of them.
func top(vals []int64, keep int) []int64 {
	slices.SortFunc(vals, func(a, b int64) int { return cmp.Compare(b, a) })
	if len(vals) > keep {
		vals = vals[:keep]
	}
	if len(vals) == 0 {
		return nil
	}
	return vals
}

// summarizeDays computes the window's figures from its days: the same figures summarize gives
// over the days' points, as long as no day dropped a figure the 95th percentile needs (each day
// keeps keepFor(window) of them, more than a window of these days can need).
func summarizeDays(days []state.TrafficDay) summary {
	var s summary
	var ins, outs []int64
	var inSum, outSum int64
	for _, d := range days {
		s.samples += d.Samples
		s.missing += d.Missing
		inSum += d.InSum
		outSum += d.OutSum
		ins = append(ins, d.InTop...)
		outs = append(outs, d.OutTop...)
	}
	if s.samples == 0 {
		return s
	}
	r := rankFromTop(s.samples)
	s.inP95, s.outP95 = nthLargest(ins, r), nthLargest(outs, r)
	s.inAvg, s.outAvg = inSum/int64(s.samples), outSum/int64(s.samples)
	return s
}

// nthLargest returns the r-th largest of vals (r from 1); vals holds at least r values.
func nthLargest(vals []int64, r int) int64 {
	slices.SortFunc(vals, func(a, b int64) int { return cmp.Compare(b, a) })
	return vals[min(r, len(vals))-1]
}

// daysWindow is the window that days cover, up to end.
func daysWindow(days []state.TrafficDay, end time.Time) window {
	return window{start: days[0].From, end: end}
}

// FlatRecord returns the record a fetch at fetchedAt caches for an instance whose traffic was
// constant (inBps, outBps) over every 5 minutes of a window of length w: what benchmarks and
// tests outside this package need to start from a warm cache.
func FlatRecord(id string, fetchedAt time.Time, w time.Duration, inBps, outBps int64) state.TrafficRecord {
	win := windowAt(fetchedAt, clampWindow(w))
	var points []zen.TrafficPoint
	for t := win.start.Add(Step); !t.After(win.end); t = t.Add(Step) {
		points = append(points, zen.TrafficPoint{Time: t, InBps: zen.Measure{Value: inBps, Valid: true},
			OutBps: zen.Measure{Value: outBps, Valid: true}})
	}
	days := addPoints(nil, win.start, win.end, points, keepFor(clampWindow(w)))
	rec := record(id, fetchedAt.UTC(), daysWindow(days, win.end), summarizeDays(days))
	rec.Days = days
	return rec
}
