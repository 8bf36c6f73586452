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
}

// Enricher fetches traffic for idle detection. It implements reconcile.Enricher and is safe for
// concurrent use. Build it with New.
type Enricher struct {
	api         TrafficAPI
	cache       Cache
	log         *slog.Logger
	concurrency int
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
	}
}

// Enrich returns the traffic of every instance in `in` that is RUNNING or STOPPED and at least
// idle.min_age old, by instance ID, and the number of DescribeInstanceTraffic calls it made.
//
// Fresh cached figures are used without a call. An instance whose traffic could not be fetched
// (a call failed, the cache could not be read, ctx ended) is absent from the map; the error then
// is a *PartialError counting them, for the log, and the other instances are still returned. A
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
		"failed", c.failed, "traffic_calls", c.calls.Load(), "window", p.Window)
	return c.out, int(c.calls.Load()), c.err()
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
// missing samples (older records did not), the same window length, fetched less than refresh ago
// (and not in the future).
func (p Params) fresh(r state.TrafficRecord, now time.Time) bool {
	return r.Error == "" && r.Expected > 0 && r.Missing != nil &&
		r.WindowEnd.Sub(r.WindowStart) == p.Window &&
		r.FetchedAt.After(now.Add(-p.Refresh)) && !r.FetchedAt.After(now)
}
