package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// TrafficAPI is what the Enricher needs from the Zenlayer client; *zen.Client implements it.
// The client applies the rate limit and the retries.
type TrafficAPI interface {
	DescribeInstanceTraffic(ctx context.Context, id string, start, end time.Time) (zen.Traffic, error)
}

// Cache keeps fetched traffic between cycles; *state.Store implements it.
type Cache interface {
	Traffic(instanceID string) (state.TrafficRecord, bool, error)
	PutTraffic(recs ...state.TrafficRecord) error
}

// DefaultConcurrency is how many instances are fetched at once when Options.Concurrency is not
// positive.
const DefaultConcurrency = 4

// maxConcurrency bounds Options.Concurrency: more would only queue on the client's rate limiter.
const maxConcurrency = 64

// Options configures an Enricher.
type Options struct {
	// API answers DescribeInstanceTraffic. Required.
	API TrafficAPI
	// Cache, when set, keeps traffic between cycles; without it every cycle fetches.
	Cache Cache
	// Logger receives one record per cycle and one debug record per failed instance.
	// Default: discard.
	Logger *slog.Logger
	// Concurrency is how many instances are fetched at once (default 4, at most 64). The calls
	// for one instance are always sequential.
	Concurrency int
	// Budget bounds the DescribeInstanceTraffic calls of one Enrich call; 0 means no bound.
	// Instances due for a fetch are taken in order of importance (see order.go) while their calls
	// fit; the others are pending.
	Budget int
}

// Enricher fetches traffic for idle detection. It implements reconcile.Enricher and is safe for
// concurrent use. Build it with New.
type Enricher struct {
	api         TrafficAPI
	cache       Cache
	log         *slog.Logger
	concurrency int
	budget      int
}

// New returns an Enricher.
func New(opts Options) *Enricher {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	return &Enricher{
		api:         opts.API,
		cache:       opts.Cache,
		log:         opts.Logger,
		concurrency: min(opts.Concurrency, maxConcurrency),
		budget:      max(opts.Budget, 0),
	}
}

// Enrich returns the traffic of every instance in `in` that is RUNNING or STOPPED and at least
// idle.min_age old, by instance ID, and the number of DescribeInstanceTraffic calls it made.
//
// Fresh cached figures are used without a call. An instance whose traffic is unknown this cycle
// is pending: in the map with a nil value. That is one left out by the budget, or one whose
// traffic could not be fetched (a call failed, the cache could not be read, ctx ended); for the
// latter the error is a *PartialError counting them, for the log. Instances that are not eligible
// are absent. Pending, like absent, is never traffic: policies see null. A
// malformed idle param is a *ParamError and nothing is fetched. A failure to write the cache is
// reported too, but the fetched traffic is returned all the same. A panic in a fetch worker
// stops the others and is returned (a *safego.PanicError) with no traffic at all: the caller
// must abort, as for any internal error.
func (e *Enricher) Enrich(ctx context.Context, now time.Time, params map[string]any, in []zen.Instance) (map[string]*policy.Traffic, int, error) {
	if e.api == nil {
		return nil, 0, errors.New("enrich traffic: no traffic API")
	}
	p, err := ParseParams(params)
	if err != nil {
		return nil, 0, fmt.Errorf("enrich traffic: %w", err)
	}
	if p.Window != p.RequestedWindow {
		e.log.Warn("idle window adjusted", "requested", p.RequestedWindow, "used", p.Window,
			"min", MinWindow, "max", MaxWindow)
	}
	now = now.UTC()
	c := &cycle{Enricher: e, now: now, params: p, win: windowAt(now, p.Window), out: map[string]*policy.Traffic{}}
	todo := c.plan(in)
	fetched := c.fetchAll(ctx, todo)
	if c.panic != nil { // an internal error: nothing of this cycle is trusted, or cached
		return nil, int(c.calls.Load()), fmt.Errorf("enrich traffic: %w", c.panic)
	}
	c.store(fetched)
	e.log.Debug("traffic enriched", "eligible", c.eligible, "cached", c.cached, "fetched", len(fetched),
		"pending", c.pending, "failed", c.failed, "traffic_calls", c.calls.Load(), "budget", e.budget, "window", p.Window)
	if c.pending > 0 {
		e.log.Info("traffic budget spent", "pending", c.pending, "budget", e.budget, "fetched", len(fetched))
	}
	return c.out, int(c.calls.Load()), c.err()
}

// Eligible returns the test Enrich applies at now with params to choose the instances whose
// traffic it returns: an instance it is false for is never in Enrich's map. It lets a cycle
// evaluate the other instances before the inventory is complete. A malformed idle param is the
// *ParamError Enrich would report.
func (e *Enricher) Eligible(now time.Time, params map[string]any) (func(zen.Instance) bool, error) {
	p, err := ParseParams(params)
	if err != nil {
		return nil, fmt.Errorf("enrich traffic: %w", err)
	}
	now = now.UTC()
	return func(in zen.Instance) bool { return p.fetchable(in, now) }, nil
}

// fetchable reports whether an instance's traffic could matter to the idle policy.
func (p Params) fetchable(in zen.Instance, now time.Time) bool {
	if in.Status != zen.StatusRunning && in.Status != zen.StatusStopped {
		return false
	}
	age, ok := policy.AgeSeconds(now, in.CreatedAt) // the age policies see, derived in one place
	return ok && age >= int64(p.MinAge/time.Second)
}

// fresh reports whether a cached record can stand in for a fetch: error-free, counting its
// missing samples (older records did not), kept in days for this window length (its window is at
// least idle.window and less than a day longer), not fetched in the future, and not past the
// instance's next refresh (NextRefresh: at most idle.refresh after the fetch).
func (p Params) fresh(r state.TrafficRecord, id string, now time.Time) bool {
	l := r.WindowEnd.Sub(r.WindowStart)
	return r.Error == "" && r.Expected > 0 && r.Missing != nil &&
		len(r.Days) > 0 && r.Days[0].Keep >= keepFor(p.Window) &&
		l >= p.Window && l < p.Window+dayLength &&
		!r.FetchedAt.After(now) && slot(id, r.FetchedAt, p.Refresh) == slot(id, now, p.Refresh)
}
