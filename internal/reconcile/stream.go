package reconcile

import (
	"context"
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
	pages []*earlyPage // evaluated, sorted by off once finished
	err   error        // the first evaluation error: no later page is evaluated
}

// earlyPage is one handed-over page and its decisions.
type earlyPage struct {
	off     int
	page    []zen.Instance
	decided []bool            // decided[i]: ds[i] is page[i]'s decision
	ds      []policy.Decision // nil once the page's entries are built
}

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
			batch = e.queue[:k:k]
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
	inputs := make([]policy.Instance, 0, evalChunk)
	for _, p := range batch {
		p.decided = make([]bool, len(p.page))
		for i := range p.page {
			if !e.needs(p.page[i]) {
				p.decided[i] = true
				inputs = append(inputs, PolicyInput(p.page[i], nil))
			}
		}
	}
	if len(inputs) == 0 {
		return
	}
	ds, err := e.r.decideChunk(e.ctx, e.now, inputs)
	clear(inputs) // keep no instance's input alive beyond the call
	if err != nil {
		e.err = err
		return
	}
	k := 0
	for _, p := range batch {
		p.ds = make([]policy.Decision, len(p.page))
		for i, ok := range p.decided {
			if ok {
				p.ds[i] = ds[k]
				k++
			}
		}
		e.pages = append(e.pages, p)
	}
}

// decision returns the early decision of inventory index i, if there is one. It may be called
// only after finish; i never decreases between calls that release (see release).
func (e *early) decision(i int) (policy.Decision, bool) {
	if e == nil {
		return policy.Decision{}, false
	}
	k := sort.Search(len(e.pages), func(k int) bool { return e.pages[k].off+len(e.pages[k].page) > i })
	if k == len(e.pages) {
		return policy.Decision{}, false
	}
	p := e.pages[k]
	if i < p.off || p.ds == nil || !p.decided[i-p.off] {
		return policy.Decision{}, false
	}
	return p.ds[i-p.off], true
}

// release drops the decisions of the pages that end at or before inventory index i.
func (e *early) release(i int) {
	if e == nil {
		return
	}
	for len(e.pages) > 0 && e.pages[0].off+len(e.pages[0].page) <= i {
		e.pages[0] = nil
		e.pages = e.pages[1:]
	}
}
