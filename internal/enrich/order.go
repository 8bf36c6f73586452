package enrich

import (
	"cmp"
	"hash/fnv"
	"slices"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Refreshes are spread over idle.refresh: each instance has its own phase in the interval, from
// a hash of its ID, and its cached traffic is fresh until the next time the clock passes that
// phase. A fleet warmed in one cycle is refreshed a little at a time over the following
// interval, never all at once, and every record is still refreshed at least once per interval.

// phase returns the instance's offset within an interval of length refresh.
func phase(id string, refresh time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(refresh))
}

// slot numbers the intervals of length refresh, each starting at the instance's phase, and
// returns the one t falls in.
func slot(id string, t time.Time, refresh time.Duration) int64 {
	n := t.UnixNano() - int64(phase(id, refresh))
	s := n / int64(refresh)
	if n%int64(refresh) < 0 {
		s--
	}
	return s
}

// NextRefresh returns when traffic of instance id fetched at fetchedAt stops being fresh under
// refresh: the first time after fetchedAt the clock passes the instance's phase.
func NextRefresh(id string, fetchedAt time.Time, refresh time.Duration) time.Time {
	base := time.Unix(0, 0).Add(phase(id, refresh))
	return base.Add(time.Duration(slot(id, fetchedAt, refresh)+1) * refresh).UTC()
}

// job is one instance whose traffic is to be fetched: the cached days that still serve, and the
// range (from, window end] to ask for, in parts of at most 24 hours (one call each).
type job struct {
	inst  zen.Instance
	prior *state.TrafficRecord
	days  []state.TrafficDay
	from  time.Time
	parts []window
	redo  []int // indices of days that were incomplete when fetched, read again (one call each)
	// newest is the newest cached day when it was incomplete when fetched: read again by the
	// range, which starts at its From, and kept when the answer brings fewer of its points.
	newest *state.TrafficDay
}

// calls is how many DescribeInstanceTraffic calls the job makes.
func (j job) calls() int { return len(j.parts) + len(j.redo) }

// Fetch order when a budget cannot cover every instance due: what matters most first.
//
//  1. Instances whose last known figures look idle (both p95 under idle.max_p95_bps), closest to
//     idle first: these are candidates, or become candidates once their data is complete.
//  2. Instances with no usable figures yet (never fetched, or only a failure).
//  3. Instances last known busy, the least busy first.
//
// Within each, the oldest data first, then the instance ID, so the order is deterministic.
const (
	rankIdle = iota
	rankUnknown
	rankBusy
)

// priority places a job in the fetch order.
type priority struct {
	rank    int
	ratio   float64 // the larger p95 over idle.max_p95_bps
	fetched time.Time
	id      string
}

func (p Params) priority(j job) priority {
	r := j.prior
	if r == nil || r.Error != "" || r.Samples == 0 {
		return priority{rank: rankUnknown, id: j.inst.ID}
	}
	ratio := float64(max(r.InP95, r.OutP95)) / float64(max(p.MaxP95, 1))
	rank := rankBusy
	if max(r.InP95, r.OutP95) < p.MaxP95 {
		rank = rankIdle
	}
	return priority{rank: rank, ratio: ratio, fetched: r.FetchedAt, id: j.inst.ID}
}

// order sorts jobs by priority, most important first.
func (p Params) order(jobs []job) {
	keys := make(map[string]priority, len(jobs))
	for _, j := range jobs {
		keys[j.inst.ID] = p.priority(j)
	}
	slices.SortFunc(jobs, func(a, b job) int {
		x, y := keys[a.inst.ID], keys[b.inst.ID]
		return cmp.Or(cmp.Compare(x.rank, y.rank), cmp.Compare(x.ratio, y.ratio),
			x.fetched.Compare(y.fetched), cmp.Compare(x.id, y.id))
	})
}

// withinBudget returns how many of the ordered jobs fit in budget calls (all when budget is 0):
// it stops at the first job that does not fit, so a cheaper, less important one never jumps
// ahead of it.
func withinBudget(jobs []job, budget int) int {
	if budget <= 0 {
		return len(jobs)
	}
	used := 0
	for i, j := range jobs {
		if used+j.calls() > budget {
			return i
		}
		used += j.calls()
	}
	return len(jobs)
}
