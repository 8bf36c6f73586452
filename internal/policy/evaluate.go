package policy

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// EvalError is the failed evaluation of one instance, reported in its Decision.Err. Such a
// decision has no reasons and never terminates.
type EvalError struct {
	InstanceID string
	Err        error
}

// Error says which instance failed and why.
func (e *EvalError) Error() string {
	return fmt.Sprintf("evaluate instance %s: %v", e.InstanceID, e.Err)
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *EvalError) Unwrap() error { return e.Err }

// batchSize is how many instances a worker takes at a time.
const batchSize = 64

// Evaluate evaluates every instance against the loaded policies, spread over
// runtime.GOMAXPROCS workers. Decision i belongs to instances[i]. now becomes input.now;
// params, deep-merged over the set's defaults (see MergeParams), become input.params; each
// instance is passed as given, except that input.instance.age_seconds is derived from now and
// CreatedAt (see AgeSeconds).
//
// The evaluation of one instance can fail (a builtin error, a reason without text): that
// instance's Decision.Err says why, and it has no reasons. Evaluate itself fails when params
// cannot be converted, and when the evaluation is stopped before it finishes: ctx ends (its
// deadline) or the heap grows past the memory limit. It then returns no decisions at all, and
// a *LimitError that names the policy that was running. A panic while evaluating (a bug) is
// returned as a *safego.PanicError naming the instance, again with no decisions.
func (e *Engine) Evaluate(ctx context.Context, now time.Time, params map[string]any, instances []Instance) ([]Decision, error) {
	began := time.Now()
	set := e.set
	shared, err := newShared(now, set, params)
	if err != nil {
		return nil, err
	}
	if cause := stopCause(ctx); cause != nil {
		return nil, &LimitError{Cause: cause}
	}
	ctx, unwatch := watchMemory(ctx, e.memoryLimit())
	defer unwatch()
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	folded, err := set.fold(ctx, e.logger, shared, cancel)
	if err != nil {
		return nil, err
	}

	var view *cacheView
	var gen string
	if e.cache != nil {
		if g, ok := generation(set.digest, MergeParams(set.params, params)); ok {
			gen = g
			e.cache.mu.Lock()
			e.cache.begin(gen, now)
			e.cache.mu.Unlock()
			e.cache.mu.RLock() // held until the workers are done with the view
			if v, ok := e.cache.view(gen); ok {
				view = &v
			} else {
				e.cache.mu.RUnlock()
			}
		}
	}
	var adds []newEntry
	var addsMu sync.Mutex
	var served atomic.Int64
	decisions := make([]Decision, len(instances))
	workers := min(runtime.GOMAXPROCS(0), (len(instances)+batchSize-1)/batchSize)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	stopped := &stoppedAt{}
	var wg sync.WaitGroup
	fail := func(err error) {
		failed.CompareAndSwap(nil, &err)
		cancel.Cancel()
	}
	for range workers {
		wg.Go(func() {
			var at string // the instance being evaluated, for a panic's error
			err := safego.Call("policy evaluation worker", func() {
				w, err := set.newWorker(ctx, e.logger, shared, cancel)
				if err != nil {
					fail(err)
					return
				}
				defer w.close(ctx)
				w.folded, w.stopped, w.memo = folded, stopped, !e.opts.OneShot
				var mine []newEntry
				defer func() {
					addsMu.Lock()
					adds = append(adds, mine...)
					addsMu.Unlock()
					served.Add(int64(w.served))
				}()
				for ctx.Err() == nil && failed.Load() == nil {
					start := int(next.Add(batchSize)) - batchSize
					if start >= len(instances) {
						return
					}
					for i := start; i < min(start+batchSize, len(instances)); i++ {
						at = instances[i].ID
						decisions[i] = w.decide(ctx, view, &instances[i], &mine)
						at = ""
					}
				}
			})
			if err != nil {
				fail(atInstance(err, at))
			}
		})
	}
	wg.Wait()
	if view != nil {
		e.cache.mu.RUnlock()
	}
	if cause := stopCause(ctx); cause != nil {
		return nil, stopped.error(cause)
	}
	if err := failed.Load(); err != nil {
		return nil, fmt.Errorf("evaluate policies: %w", *err)
	}
	if view != nil && len(adds) > 0 {
		e.cache.mu.Lock()
		e.cache.add(gen, view.epoch, adds)
		e.cache.mu.Unlock()
	}
	if view != nil {
		e.logger.LogAttrs(ctx, slog.LevelDebug, "policy evaluation", slog.Int("instances", len(instances)),
			slog.Int64("served_from_cache", served.Load()), slog.Int("cache_entries_added", len(adds)),
			slog.Duration("duration", time.Since(began)))
	}
	return decisions, nil
}

// atInstance names the instance whose evaluation panicked in a *safego.PanicError.
func atInstance(err error, id string) error {
	if pe, ok := err.(*safego.PanicError); ok && id != "" {
		pe.Where = "policy evaluation of instance " + id
	}
	return err
}

// stoppedAt remembers, of the instance evaluations that a stop interrupted, the one that had
// run longest: the policy it was in is the one the error names.
type stoppedAt struct {
	mu      sync.Mutex
	longest time.Duration
	err     *LimitError
}

func (s *stoppedAt) record(policy, instanceID string, ran time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil || ran > s.longest {
		s.longest, s.err = ran, &LimitError{Policy: policy, InstanceID: instanceID}
	}
}

// error returns the LimitError to report for a stop with cause.
func (s *stoppedAt) error(cause error) *LimitError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return &LimitError{Cause: cause}
	}
	return &LimitError{Policy: s.err.Policy, InstanceID: s.err.InstanceID, Cause: cause}
}

// shared is what every worker of one Evaluate call reads.
type shared struct {
	time   time.Time
	now    *ast.Term
	params ast.Value
}

func newShared(now time.Time, set *policySet, params map[string]any) (shared, error) {
	v, err := ast.InterfaceToValue(MergeParams(set.params, params))
	if err != nil {
		return shared{}, fmt.Errorf("convert policy params: %w", err)
	}
	return shared{time: now, now: ast.StringTerm(formatTime(now)), params: v}, nil
}

// worker evaluates instances one after the other on one goroutine, reusing its transaction
// and print hook.
type worker struct {
	set     *policySet
	input   shared
	params  *ast.Term
	folded  *folded // nil: evaluate every rule for every instance
	txn     storage.Transaction
	cancel  topdown.Cancel
	hook    *printHook
	tracer  topdown.QueryTracer // nil unless explaining
	fields  []instanceField
	stopped *stoppedAt
	hasher  instanceHasher // for the decision cache's instance hashes
	served  int            // decisions served from the cache without evaluating
	memo    bool           // an analysis keeps its time-free values (not Options.OneShot)
}

func (s *policySet) newWorker(ctx context.Context, logger *slog.Logger, sh shared, cancel topdown.Cancel) (*worker, error) {
	txn, err := s.store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("open policy store: %w", err)
	}
	return &worker{
		set:     s,
		input:   sh,
		params:  ast.NewTerm(sh.params),
		txn:     txn,
		cancel:  cancel,
		hook:    &printHook{logger: logger},
		fields:  s.fields,
		stopped: &stoppedAt{},
	}, nil
}

func (w *worker) close(ctx context.Context) { w.set.store.Abort(ctx, w.txn) }

var noMetrics = metrics.NoOp()

// evaluate evaluates one instance. A stop (cancellation) is recorded in w.stopped with the policy
// that was running. A panic (inside OPA, or in the print hook's logger) is not this instance's
// error: it goes up to the caller, which makes it the whole evaluation's internal error.
func (w *worker) evaluate(ctx context.Context, in *Instance) Decision {
	d, _, _ := w.evaluateInput(ctx, in, w.set.query, w.set.slots, nil, false)
	return d
}

// evaluateInput evaluates the sets slots of one instance with their query cq (the policy
// query, or a subset's), and also returns the input document it built and the virtual cache of
// the evaluation, which holds for that input. memo holds values of time-free rules for the
// instance (see memoValue); record makes the returned cache collect them.
func (w *worker) evaluateInput(ctx context.Context, in *Instance, cq compiledQuery, slots []slot, memo []memoValue, record bool) (d Decision, input *ast.Term, cache *foldedCache) {
	d.InstanceID = in.ID
	w.hook.instanceID = in.ID
	began := time.Now()
	input = ast.NewTerm(inputValue(w.input, w.params, in, w.fields))
	cache = newFoldedCache(w.folded, w.set.running)
	cache.memo = memo
	if record {
		cache.free = w.set.guards.free
	}
	var result *ast.Term
	results := 0
	err := w.query(ctx, cq, input, cache, func(qr topdown.QueryResult) {
		results++
		result = qr[resultVarName]
	})
	if err != nil && topdown.IsCancel(err) {
		w.stopped.record(cache.policy, in.ID, time.Since(began))
	}
	if err == nil && results != 1 {
		err = errNoResult
	}
	if err == nil {
		err = decode(result, slots, &d)
	}
	if err != nil {
		return Decision{InstanceID: in.ID, Err: &EvalError{InstanceID: in.ID, Err: err}}, input, cache
	}
	return d, input, cache
}

// query runs a compiled query over one input document.
func (w *worker) query(ctx context.Context, cq compiledQuery, input *ast.Term, cache topdown.VirtualCache, each func(topdown.QueryResult)) error {
	q := topdown.NewQuery(cq.body).
		WithQueryCompiler(cq.compiler).
		WithCompiler(w.set.compiler).
		WithStore(w.set.store).
		WithTransaction(w.txn).
		WithInput(input).
		WithStrictBuiltinErrors(true).
		WithCancel(w.cancel).
		WithPrintHook(w.hook).
		WithVirtualCache(cache).
		WithMetrics(noMetrics).
		WithTime(w.input.time).
		WithSeed(noRandomness{}).
		WithIndexing(true).
		WithEarlyExit(true)
	if w.tracer != nil {
		q = q.WithQueryTracer(w.tracer)
	}
	return q.Iter(ctx, func(qr topdown.QueryResult) error {
		each(qr)
		return nil
	})
}

var (
	resultVarName = ast.Var(resultVar)
	guardVarName  = ast.Var(guardVar)
)

// openSlots evaluates the time guards for one instance's input and returns the slots with a
// guard that holds (bit i: slot i); 0 when every guard is false, so the instance's timed rules
// stay empty at every time. ok is false when the guards could not be evaluated (an error, a
// stop); the instance is then not cached. cache is the virtual cache of the instance's
// evaluation, so rules it computed are not computed again.
func (w *worker) openSlots(ctx context.Context, input *ast.Term, cache *foldedCache) (open uint64, ok bool) {
	g := &w.set.guards
	if len(g.query.body) == 0 {
		return 0, true
	}
	var result *ast.Term
	results := 0
	err := w.query(ctx, g.query, input, cache, func(qr topdown.QueryResult) {
		results++
		result = qr[guardVarName]
	})
	if err != nil || results != 1 || result == nil {
		return 0, false
	}
	arr, isArr := result.Value.(*ast.Array)
	if !isArr || arr.Len() != len(g.slotOf) {
		return 0, false
	}
	for i := range arr.Len() {
		sols, isArr := arr.Elem(i).Value.(*ast.Array)
		if !isArr {
			return 0, false
		}
		if sols.Len() > 0 {
			open |= 1 << g.slotOf[i]
		}
	}
	return open, true
}

// decide gives one instance's decision, with the decision cache's view: when it holds an
// analysed entry for the instance's fields, only the entry's timed slots are evaluated and its
// base added. Otherwise the instance is evaluated, and appended to adds (see decisionCache):
// the first time its fields are seen as seen once, the second time with what the evaluation and
// its guards prove. view nil evaluates every instance.
func (w *worker) decide(ctx context.Context, view *cacheView, in *Instance, adds *[]newEntry) Decision {
	if view == nil {
		return w.evaluate(ctx, in)
	}
	id, sum := idHash(view.seed, in.ID), w.hasher.sum(view.key, in)
	e := view.lookup(id, sum)
	if e == nil {
		// First sighting: remember the fields only, so that a one-shot plan, which never
		// evaluates twice, pays no analysis.
		d := w.evaluate(ctx, in)
		if d.Err == nil && ctx.Err() == nil {
			*adds = append(*adds, newEntry{id: id, sum: sum})
		}
		return d
	}
	if e := e.known; e != nil {
		switch e.mask {
		case 0:
			w.served++
			return e.served(in.ID)
		case fullMask:
			d, _, _ := w.evaluateInput(ctx, in, w.set.query, w.set.slots, e.memo, false)
			return d
		}
		cq, slots, err := w.set.subsets.get(w.set, e.mask)
		if err != nil {
			return w.evaluate(ctx, in)
		}
		d, _, _ := w.evaluateInput(ctx, in, cq, slots, e.memo, false)
		if d.Err == nil && e.imported && len(d.Terminate) > 0 {
			return w.evaluate(ctx, in) // see analysis.imported
		}
		if d.Err == nil {
			merge(&d, e.decision)
		}
		return d
	}
	// Second sighting with the same fields: evaluate, and find what the cache may keep.
	d, input, cache := w.evaluateInput(ctx, in, w.set.query, w.set.slots, nil, w.memo)
	if d.Err != nil || ctx.Err() != nil {
		return d // errors are never cached
	}
	open, ok := w.openSlots(ctx, input, cache)
	if !ok {
		return d
	}
	base := baseDecision(d, w.set.slots, open)
	if base != nil && len(base.Terminate) > 0 {
		open, base = fullMask, nil // a reason to terminate is never served from the cache
	}
	known := timeFree
	if open != 0 || base != nil {
		known = &analysis{mask: open, decision: base}
		if open != 0 {
			known.memo = slices.Clip(cache.record)
		}
	}
	*adds = append(*adds, newEntry{id: id, sum: sum, known: known})
	return d
}

// noRandomness is the seed of policy evaluation: the sandbox has no builtin that reads it,
// and should one appear it reads zeros, not the system's randomness.
type noRandomness struct{}

func (noRandomness) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// printHook sends print() output to the logger at debug level.
type printHook struct {
	logger     *slog.Logger
	instanceID string
}

// Print logs one print() call.
func (h *printHook) Print(pctx print.Context, msg string) error {
	ctx := pctx.Context
	if ctx == nil {
		ctx = context.Background()
	}
	attrs := []slog.Attr{slog.String("instance_id", h.instanceID), slog.String("message", msg)}
	if pctx.Location != nil {
		attrs = append(attrs, slog.String("location", pctx.Location.String()))
	}
	h.logger.LogAttrs(ctx, slog.LevelDebug, "policy print", attrs...)
	return nil
}
