package enrich

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// cycle is one Enrich call's working state.
type cycle struct {
	*Enricher
	now    time.Time
	params Params
	win    window
	out    map[string]*policy.Traffic

	calls    atomic.Int64
	eligible int
	cached   int
	pending  int // left out by the budget
	failed   int
	first    error // the first failure, for the summary
	cacheErr error // a failure to write the cache

	mu    sync.Mutex
	panic error // the first panic of a fetch worker (a *safego.PanicError)
}

// plan picks the eligible instances, answers those with fresh cached traffic, and returns the
// ones to fetch, most important first, cut to the budget. An instance left out by the budget is
// pending: in c.out with no traffic.
func (c *cycle) plan(in []zen.Instance) []job {
	seen := make(map[string]bool, len(in))
	var todo []job
	for _, inst := range in {
		if seen[inst.ID] || !c.params.fetchable(inst, c.now) {
			continue
		}
		seen[inst.ID] = true
		c.eligible++
		if c.cache == nil {
			todo = append(todo, c.job(inst, nil))
			continue
		}
		rec, ok, err := c.cache.Traffic(inst.ID)
		switch {
		case err != nil:
			// An unreadable cache must not turn into a storm of calls: skip the instance.
			c.fail(inst.ID, fmt.Errorf("read cached traffic %s: %w", inst.ID, err))
		case ok && c.params.fresh(rec, inst.ID, c.now):
			c.out[inst.ID] = traffic(rec, inst.CreatedAt)
			c.cached++
		case ok:
			todo = append(todo, c.job(inst, &rec))
		default:
			todo = append(todo, c.job(inst, nil))
		}
	}
	c.params.order(todo)
	n := withinBudget(todo, c.budget)
	for _, j := range todo[n:] {
		c.out[j.inst.ID] = nil
		c.pending++
	}
	return todo[:n]
}

// job plans the fetch of one instance: the cached days that still serve the window, and the
// range after them; without such days, the whole window. When the cached window counted as
// complete (so it may make the instance idle), a day that was incomplete when fetched is not
// final: the newest is asked for again with the range after it, any other with a call of its own
// (see unsettled); either keeps what was read before when the answer brings less (see reread). A window that was incomplete anyway (a machine off) makes nothing idle and is
// not asked for again, which would cost its whole length at every refresh.
func (c *cycle) job(inst zen.Instance, prior *state.TrafficRecord) job {
	j := job{inst: inst, prior: prior, from: c.win.start}
	if prior != nil && prior.Error == "" {
		if days, ok := usableDays(prior.Days, c.params.Window, c.win.end); ok {
			j.days, j.from = days, days[len(days)-1].Through
			if traffic(*prior, inst.CreatedAt).Complete {
				if last := days[len(days)-1]; unsettled(last) {
					j.days, j.from, j.newest = days[:len(days)-1], last.From, &last
				}
				for i, d := range j.days {
					if unsettled(d) {
						j.redo = append(j.redo, i)
					}
				}
			}
		}
	}
	j.parts = chunks(window{start: j.from, end: c.win.end}, inst.CreatedAt, c.now)
	return j
}

// result is the outcome of fetching one instance.
type result struct {
	rec state.TrafficRecord
	err error
}

// fetchAll fetches todo, up to c.concurrency instances at once, and records the outcomes. It
// returns the records to cache.
func (c *cycle) fetchAll(ctx context.Context, todo []job) []state.TrafficRecord {
	if len(todo) == 0 {
		return nil
	}
	results := make([]result, len(todo))
	jobs := make(chan int)
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var wg sync.WaitGroup
	for range min(c.concurrency, len(todo)) {
		wg.Go(func() {
			for i := range jobs {
				if err := safego.Call("traffic fetch of instance "+todo[i].inst.ID, func() {
					results[i] = c.fetchOne(ctx, todo[i])
				}); err != nil {
					c.panicked(err, stop)
					results[i].err = err
				}
			}
		})
	}
	next := 0
feed:
	for ; next < len(todo); next++ {
		select {
		case jobs <- next:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	for i := next; i < len(todo); i++ {
		results[i].err = fmt.Errorf("fetch traffic %s: %w", todo[i].inst.ID, context.Cause(ctx))
	}

	var recs []state.TrafficRecord
	for i, r := range results {
		inst := todo[i].inst
		if r.err != nil {
			c.fail(inst.ID, r.err)
			continue
		}
		c.out[inst.ID] = traffic(r.rec, inst.CreatedAt)
		recs = append(recs, r.rec)
	}
	return recs
}

// fetchOne asks for the job's range, merges it into the cached days, and computes the window's
// figures from the days.
func (c *cycle) fetchOne(ctx context.Context, j job) result {
	asked := window{start: j.from, end: c.win.end}
	points, err := fetch(ctx, c.api, j.inst.ID, asked, j.parts, func() { c.calls.Add(1) })
	if err != nil {
		return result{err: err}
	}
	keep := keepFor(c.params.Window)
	prior := slices.Clone(j.days)
	for _, i := range j.redo {
		d := prior[i]
		span := window{start: d.From, end: d.Through}
		again, err := fetch(ctx, c.api, j.inst.ID, span, []window{span}, func() { c.calls.Add(1) })
		if err != nil {
			return result{err: err}
		}
		prior[i] = reread(d, again, keep)
	}
	from := j.from
	if d := j.newest; d != nil {
		// The newest day read again: its range from the answer, unless that brings less than
		// was read before; then what is new after it.
		prior, from = append(prior, reread(*d, points, keep)), d.Through
	}
	days := addPoints(prior, from, c.win.end, points, keep)
	if kept, ok := usableDays(days, c.params.Window, c.win.end); ok {
		days = kept
	}
	w := c.win
	if len(days) > 0 {
		w = daysWindow(days, c.win.end)
	}
	rec := record(j.inst.ID, c.now, w, summarizeDays(days))
	rec.Days = days
	return result{rec: rec}
}

// store writes the fetched records to the cache in one transaction.
func (c *cycle) store(recs []state.TrafficRecord) {
	if c.cache == nil || len(recs) == 0 {
		return
	}
	if err := c.cache.PutTraffic(recs...); err != nil {
		c.cacheErr = fmt.Errorf("cache traffic: %w", err)
		c.log.Warn("traffic cache write failed", "records", len(recs), "error", err)
	}
}

// panicked keeps the first panic of a fetch worker, and stops the other fetches: the cycle
// cannot trust what this one computed.
func (c *cycle) panicked(err error, stop context.CancelCauseFunc) {
	c.mu.Lock()
	if c.panic == nil {
		c.panic = err
	}
	c.mu.Unlock()
	stop(err)
}

// fail counts an instance left without traffic: it is pending.
func (c *cycle) fail(id string, err error) {
	c.out[id] = nil
	c.failed++
	if c.first == nil {
		c.first = err
	}
	c.log.Debug("traffic unavailable", "instance_id", id, "error", err)
}

// err summarises the cycle's failures, or returns nil when there were none.
func (c *cycle) err() error {
	var partial error
	if c.failed > 0 {
		partial = &PartialError{Failed: c.failed, Eligible: c.eligible, First: c.first}
	}
	return errors.Join(partial, c.cacheErr)
}

// PartialError reports the instances whose traffic could not be had this cycle. They are absent
// from Enrich's map; the others are there.
type PartialError struct {
	Failed   int   // instances without traffic
	Eligible int   // instances that should have had traffic
	First    error // the first failure
}

// Error implements error.
func (e *PartialError) Error() string {
	return fmt.Sprintf("traffic for %d of %d instances failed: %v", e.Failed, e.Eligible, e.First)
}

// Unwrap returns the first failure, so errors.Is and errors.As see through it.
func (e *PartialError) Unwrap() error { return e.First }
