package enrich

import (
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
)

// Step is the API's sampling interval: one traffic point per 5 minutes.
const Step = 5 * time.Minute

// Completeness: a window is complete when at least completeNum/completeDen of its expected
// points arrived.
const (
	completeNum = 9
	completeDen = 10
)

// window is the range a fetch covers: points at times in (start, end].
type window struct {
	start, end time.Time
}

// windowAt returns the window of length w ending at now truncated to a whole 5 minutes.
func windowAt(now time.Time, w time.Duration) window {
	end := now.UTC().Truncate(Step)
	return window{start: end.Add(-w), end: end}
}

// expected is the number of points a full window holds.
func (w window) expected() int { return int(w.end.Sub(w.start) / Step) }

// contains reports whether a point at t belongs to the window.
func (w window) contains(t time.Time) bool { return t.After(w.start) && !t.After(w.end) }

// summary is what the Enricher keeps of a window's points.
type summary struct {
	samples       int // points with both figures
	missing       int // points the API sent without a figure: missing samples
	inP95, outP95 int64
	inAvg, outAvg int64
}

// complete applies the completeness rule: no point without a figure, enough points, and the
// instance existed when the window began. missing is nil when it is unknown (a record cached by
// a version that did not count it): unknown is not complete.
func complete(samples int, missing *int, expected int, windowStart, createdAt time.Time) bool {
	if missing == nil || *missing != 0 {
		return false
	}
	if expected <= 0 || createdAt.IsZero() || createdAt.After(windowStart) {
		return false
	}
	return samples*completeDen >= expected*completeNum
}

// record is the cache entry for a fetched window.
func record(id string, fetchedAt time.Time, w window, s summary) state.TrafficRecord {
	return state.TrafficRecord{
		InstanceID: id, FetchedAt: fetchedAt, WindowStart: w.start, WindowEnd: w.end,
		Samples: s.samples, Missing: &s.missing, Expected: w.expected(),
		InP95: s.inP95, OutP95: s.outP95, InAvg: s.inAvg, OutAvg: s.outAvg,
	}
}

// traffic turns a record into the document policies see as input.instance.traffic.
func traffic(r state.TrafficRecord, createdAt time.Time) *policy.Traffic {
	return &policy.Traffic{
		WindowSeconds: int64(r.WindowEnd.Sub(r.WindowStart) / time.Second),
		Samples:       r.Samples,
		Complete:      complete(r.Samples, r.Missing, r.Expected, r.WindowStart, createdAt),
		InP95Bps:      r.InP95,
		OutP95Bps:     r.OutP95,
		InAvgBps:      r.InAvg,
		OutAvgBps:     r.OutAvg,
	}
}
