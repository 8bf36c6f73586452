package reconcile

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// PageLister is an API that hands the inventory over page by page while it lists;
// *zen.Client implements it (see zen.Client.ListInstancesEach). With it, a cycle evaluates the
// instances that need no traffic while later pages are still in flight.
type PageLister interface {
	ListInstancesEach(ctx context.Context, f zen.Filter, each zen.PageFunc) ([]zen.Instance, error)
}

// TrafficScope is an Enricher that can tell, before the inventory is complete, which instances
// it could fetch traffic for; *enrich.Enricher implements it.
type TrafficScope interface {
	// Eligible returns the test Enrich applies at now with params: an instance it is false for
	// is never in Enrich's answer, so its policies see no traffic whatever the guards and the
	// budget say. An error means no instance can be said to need none.
	Eligible(now time.Time, params map[string]any) (func(zen.Instance) bool, error)
}

// list lists the inventory. With a PageLister (and an Enricher that is absent or a
// TrafficScope), the instances that need no traffic are evaluated as their pages arrive, while
// later pages are in flight: evaluation has no side effects, so doing it early changes nothing
// but the time it takes. The decisions are kept in the returned *early and used only when the
// listing succeeds; a listing that fails or is cancelled discards them, so nothing is ever
// decided from a partial fleet.
func (r *Reconciler) list(ctx context.Context, now time.Time) ([]zen.Instance, *early, error) {
	pl, ok := r.opts.API.(PageLister)
	var needs func(zen.Instance) bool
	if ok {
		needs, ok = r.trafficNeeds(now)
	}
	if !ok {
		inv, err := r.opts.API.ListInstances(ctx, r.opts.Settings.Filter)
		return inv, nil, err
	}
	e := r.startEarly(ctx, now, needs)
	inv, err := pl.ListInstancesEach(ctx, r.opts.Settings.Filter, e.add)
	if err != nil {
		e.discard()
		return nil, nil, err
	}
	e.finish()
	return inv, e, nil
}

// trafficNeeds returns which instances may get traffic this cycle (those cannot be evaluated
// before enrichment); ok is false when that cannot be told in advance.
func (r *Reconciler) trafficNeeds(now time.Time) (needs func(zen.Instance) bool, ok bool) {
	if r.opts.Enricher == nil {
		return func(zen.Instance) bool { return false }, true
	}
	ts, isScope := r.opts.Enricher.(TrafficScope)
	if !isScope {
		return nil, false
	}
	needs, err := ts.Eligible(now, r.opts.Settings.Params)
	if err != nil || needs == nil {
		return nil, false // Enrich reports the error; every instance waits for it
	}
	return needs, true
}

// early evaluates the pages of a listing that is still running, on one goroutine, a batch of
// up to evalChunk instances at a time (so no more policy inputs are alive at once than in a
// chunk of the evaluation after the listing). Pages wait in a queue of references into the
// listing's own result: they cost no memory of their own until evaluated.
type early struct {
	r      *Reconciler
	ctx    context.Context
	cancel context.CancelFunc
	now    time.Time
	needs  func(zen.Instance) bool

	mu     sync.Mutex
	queue  []*earlyPage // handed over, not evaluated yet
	closed bool
	wake   chan struct{}
	done   chan struct{}

	// Owned by the goroutine until done is closed; then by the cycle.
	pages  []*earlyPage      // evaluated, sorted by off once finished
	err    error             // the first evaluation error: no later page is evaluated
	inputs []policy.Instance // evaluate's documents, one array for every batch, cleared after each
}

// earlyPage is one handed-over page and its decisions, kept small: most decisions have no
// reason (a kept instance), and those are kept as one byte.
type earlyPage struct {
	off  int
	page []zen.Instance
	got  []uint8           // per instance: undecided, decidedPlain or decidedHeld
	held []policy.Decision // the decidedHeld decisions, in page order
	next int               // the index in held of the next decidedHeld instance to take
}

// What an earlyPage knows of one instance.
const (
	undecided    uint8 = iota // needs traffic, or not evaluated: decided after the listing
	decidedPlain              // no reason, no error: the decision is policy.Decision{InstanceID: id}
	decidedHeld               // the decision is in held
)

func (r *Reconciler) startEarly(ctx context.Context, now time.Time, needs func(zen.Instance) bool) *early {
	ctx, cancel := context.WithCancel(ctx)
	e := &early{r: r, ctx: ctx, cancel: cancel, now: now, needs: needs,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(e.done)
		// A panic here is the cycle's error, as one in the evaluation after the listing is.
		if err := safego.Call("early policy evaluation", e.run); err != nil && e.err == nil {
			e.err = err
		}
	}()
	return e
}

// add queues a page; it is the listing's zen.PageFunc and returns at once.
func (e *early) add(off int, page []zen.Instance) {
	e.mu.Lock()
	e.queue = append(e.queue, &earlyPage{off: off, page: page})
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// finish waits until every queued page is evaluated (or the evaluation failed).
func (e *early) finish() {
	e.close()
	<-e.done
	e.cancel()
	sort.Slice(e.pages, func(i, j int) bool { return e.pages[i].off < e.pages[j].off })
}

// discard stops the evaluation of a listing that failed and drops every decision.
func (e *early) discard() {
	e.cancel()
	e.close()
	<-e.done
	e.pages, e.err = nil, nil
}

func (e *early) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// run evaluates batches until the queue is closed and empty.
func (e *early) run() {
	for {
		batch, ok := e.next()
		if !ok {
			return
		}
		if e.err != nil || e.ctx.Err() != nil {
			continue // not evaluated: the cycle fails, or evaluates these pages after the listing
		}
		e.evaluate(batch)
	}
}

// next waits for queued pages and takes up to evalChunk instances' worth (at least one page);
// ok is false when the queue is closed and empty.
func (e *early) next() (batch []*earlyPage, ok bool) {
	for {
		e.mu.Lock()
		if len(e.queue) > 0 {
			n, k := 0, 0
			for k < len(e.queue) && (k == 0 || n+len(e.queue[k].page) <= evalChunk) {
				n += len(e.queue[k].page)
				k++
			}
			batch = append(batch, e.queue[:k]...)
			clear(e.queue[:k]) // the queue's array must not keep evaluated pages alive
			e.queue = e.queue[k:]
			e.mu.Unlock()
			return batch, true
		}
		closed := e.closed
		e.mu.Unlock()
		if closed {
			return nil, false
		}
		<-e.wake
	}
}

// evaluate decides the instances of batch that need no traffic. On an error it keeps the error
// and no decision of the batch.
func (e *early) evaluate(batch []*earlyPage) {
	if e.inputs == nil {
		e.inputs = make([]policy.Instance, 0, evalChunk)
	}
	inputs := e.inputs[:0]
	for _, p := range batch {
		p.got = make([]uint8, len(p.page))
		for i := range p.page {
			if !e.needs(p.page[i]) {
				p.got[i] = decidedPlain
				inputs = append(inputs, cycleInput(&p.page[i], nil))
			}
		}
	}
	if len(inputs) == 0 {
		return
	}
	ds, err := e.r.decideChunk(e.ctx, e.now, inputs)
	clear(inputs) // keep no instance's input alive beyond the call
	e.inputs = inputs[:0]
	if err != nil {
		e.err = err
		return
	}
	k := 0
	for _, p := range batch {
		for i, got := range p.got {
			if got == undecided {
				continue
			}
			if d := ds[k]; !plain(d, p.page[i].ID) {
				p.got[i] = decidedHeld
				p.held = append(p.held, d)
			}
			k++
		}
		p.held = slices.Clip(p.held)
		e.pages = append(e.pages, p)
	}
}

// plain reports whether d is exactly policy.Decision{InstanceID: id}.
func plain(d policy.Decision, id string) bool {
	return d.InstanceID == id && d.Terminate == nil && d.Exempt == nil && d.Warn == nil && d.Err == nil
}

// decided reports whether inventory index i was decided early. It may be called only after
// finish, never for an index below the last one taken.
func (e *early) decided(i int) bool {
	if e == nil {
		return false
	}
	k := sort.Search(len(e.pages), func(k int) bool { return e.pages[k].off+len(e.pages[k].page) > i })
	return k < len(e.pages) && i >= e.pages[k].off && e.pages[k].got[i-e.pages[k].off] != undecided
}

// take returns the early decision of inventory index i, if there is one. It may be called only
// after finish, for every index in increasing order (held decisions are found by counting); the
// pages before i are dropped as it goes, so each page's decisions live until their entries are
// built, not longer.
func (e *early) take(i int) (policy.Decision, bool) {
	if e == nil {
		return policy.Decision{}, false
	}
	for len(e.pages) > 0 && e.pages[0].off+len(e.pages[0].page) <= i {
		e.pages[0] = nil
		e.pages = e.pages[1:]
	}
	if len(e.pages) == 0 || i < e.pages[0].off {
		return policy.Decision{}, false
	}
	p := e.pages[0]
	switch p.got[i-p.off] {
	case decidedPlain:
		return policy.Decision{InstanceID: p.page[i-p.off].ID}, true
	case decidedHeld:
		d := p.held[p.next]
		p.held[p.next] = policy.Decision{}
		p.next++
		return d, true
	}
	return policy.Decision{}, false
}
