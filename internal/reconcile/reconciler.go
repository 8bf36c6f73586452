package reconcile

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

// API is what a cycle needs from the Zenlayer client.
type API interface {
	ListInstances(ctx context.Context, f zen.Filter) ([]zen.Instance, error)
	DescribeInstances(ctx context.Context, ids []string) ([]zen.Instance, error)
	TerminateInstance(ctx context.Context, id string) (requestID string, err error)
}

// Evaluator decides about instances; *policy.Engine implements it.
type Evaluator interface {
	Evaluate(ctx context.Context, now time.Time, params map[string]any, in []policy.Instance) ([]policy.Decision, error)
}

// Enricher adds data that costs API calls (traffic) to the instances that survived the guards.
// It returns the traffic per instance ID and the number of API calls it made. An instance whose
// traffic was due but is unknown this cycle (over the budget, out of time, a failed fetch) maps
// to nil: it is pending (Entry.TrafficPending). One that needs no traffic is absent. Either way
// policies see null: missing data never makes an instance a candidate.
type Enricher interface {
	Enrich(ctx context.Context, now time.Time, params map[string]any, in []zen.Instance) (map[string]*policy.Traffic, int, error)
}

// Store is the durable memory a cycle reads and writes; *state.Store implements it.
type Store interface {
	Marks() (map[state.MarkKey]state.Mark, error)
	ReplaceMarks(marks map[state.MarkKey]state.Mark) error
	Refusals() (map[string]state.Refusal, error)
	PutRefusal(r state.Refusal) error
	DeleteRefusal(instanceID string) error
	Unconfirmed() (map[string]state.Unconfirmed, error)
	PutUnconfirmed(u state.Unconfirmed) error
	DeleteUnconfirmed(instanceID string) error
	PutIntent(in state.Intent) error
	CompleteIntent(runID, instanceID string, o state.Outcome) error
	OpenIntents() ([]state.Intent, error)
	PutRun(r state.Run) (seq uint64, err error)
	LastCompleteInventory() (size int, ok bool, err error)
	LastRunTime() (t time.Time, ok bool, err error)
	PruneTraffic(keep map[string]bool) error
	PruneIntents(before time.Time, keep int) (int, error)
}

// Settings are the parts of the config a cycle obeys.
type Settings struct {
	// Mode is the config's mode (ModeDryRun, ModeMark, ModeApprove, ModeEnforce). The zero value
	// runs every cycle dry; see Permit.
	Mode                    string
	Filter                  zen.Filter
	Params                  map[string]any // merged policy params, input.params
	GracePeriod             time.Duration
	MaxTerminationsPerRun   int
	MaxTerminationsPercent  float64
	MaxFleetDropPercent     float64
	AllowSubscriptionCancel bool
	CommitmentRetryAfter    time.Duration
	// UnconfirmedRetryAfter is the first wait before an instance whose accepted termination did
	// not take is called again; each further such call doubles it, up to MaxUnconfirmedBackoff.
	// Zero means DefaultUnconfirmedRetryAfter.
	UnconfirmedRetryAfter time.Duration
	Protect               Protection
	// CallTimeout bounds one TerminateInstance call, the client's retries included. It is applied to a context
	// detached from the cycle's, so that cancellation never abandons a call in flight.
	CallTimeout time.Duration
	// ClockTolerance is how far the clock may be behind the last recorded run before the cycle is
	// blocked (limit "clock"); 0 means DefaultClockTolerance.
	ClockTolerance time.Duration
}

// Options configures a Reconciler.
type Options struct {
	API       API
	Evaluator Evaluator
	Store     Store
	Enricher  Enricher // optional
	Fence     Fencer   // optional: with a shared store, the proof of leadership before each intent and call
	// Tags writes the mark tags in the modes that permit them (mark, approve, enforce). Optional
	// for tests that are not about tags: without it no mark tag is written. cmd/reaper always
	// sets it (the Zenlayer client).
	Tags     TagWriter
	Settings Settings
	Now      func() time.Time
	Logger   *slog.Logger
}

// Reconciler runs cycles. It is not safe for concurrent cycles; the scheduler never overlaps them.
type Reconciler struct {
	opts Options
	log  *slog.Logger
}

// New returns a Reconciler. API, Evaluator and Store are required.
func New(opts Options) (*Reconciler, error) {
	if opts.API == nil || opts.Evaluator == nil || opts.Store == nil {
		return nil, errors.New("reconcile: API, Evaluator and Store are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Settings.CallTimeout <= 0 {
		opts.Settings.CallTimeout = 2 * time.Minute
	}
	if opts.Settings.UnconfirmedRetryAfter <= 0 {
		opts.Settings.UnconfirmedRetryAfter = DefaultUnconfirmedRetryAfter
	}
	if opts.Settings.ClockTolerance <= 0 {
		opts.Settings.ClockTolerance = DefaultClockTolerance
	}
	if opts.Settings.MaxTerminationsPerRun < 1 {
		return nil, errors.New("reconcile: MaxTerminationsPerRun must be at least 1")
	}
	return &Reconciler{opts: opts, log: opts.Logger}, nil
}

// Cycle describes one cycle to run.
type Cycle struct {
	RunID   string
	Command string // CommandRun or CommandPlan
	// DryRun forces a dry cycle (--dry-run); see Permit for the whole decision.
	DryRun bool
}

// Run executes one cycle. The returned Result is never nil; its Status says how the cycle ended.
// The error is non-nil only when the cycle did not run to the end (aborted or failed), and is the
// same as Result.Err.
func (r *Reconciler) Run(ctx context.Context, c Cycle) (*Result, error) {
	perm := Permit(r.opts.Settings.Mode, c.DryRun, c.Command)
	res := &Result{RunID: c.RunID, Command: c.Command, Permissions: perm, DryRun: perm.DryRun(), StartedAt: r.opts.Now().UTC()}
	return r.finish(res, r.cycle(ctx, res))
}

// finish completes res once its cycle or apply returned err: the error (unless the step set
// one), the status ok when nothing else was said, the end time, and the run record.
func (r *Reconciler) finish(res *Result, err error) (*Result, error) {
	if err != nil && res.Err == nil {
		res.Err = err
	}
	if res.Status == "" {
		res.Status = StatusOK
	}
	res.FinishedAt = r.opts.Now().UTC()
	r.record(res)
	return res, res.Err
}

func (r *Reconciler) cycle(ctx context.Context, res *Result) error {
	clock, lastRun, err := r.checkClock(res.StartedAt)
	if err != nil {
		return r.abort(res, err) // the store's error names the read
	}
	recovered, err := r.recoverIntents(ctx, res.RunID)
	if fe := (*fenceError)(nil); errors.As(err, &fe) {
		revokeOnLostLeadership(res)
		return r.abort(res, err)
	}
	if err != nil {
		return r.abort(res, fmt.Errorf("resolve unfinished intents: %w", err))
	}
	res.Recovered = recovered

	// The time of the cycle's decisions is read before the listing, whose pages are evaluated
	// as they arrive (list): earlier than the end of the listing, so no instance is older, or
	// nearer its expiry, than when it was seen. The plan dates marks after the listing.
	now := r.opts.Now().UTC()
	inv, done, err := r.list(ctx, now)
	if err != nil {
		return r.abort(res, fmt.Errorf("inventory: %w", err))
	}
	res.InventorySize, res.InventoryComplete = len(inv), true

	refusals, err := r.opts.Store.Refusals()
	if err != nil {
		return r.abort(res, err) // the store's error names the read
	}
	pending, err := r.opts.Store.Unconfirmed()
	if err != nil {
		return r.abort(res, err) // the store's error names the read
	}
	planNow := r.opts.Now().UTC() // when the fleet was seen whole: marks date from here, as before streaming
	res.Entries = r.decide(ctx, now, inv, done, refusals, pending, res)
	if res.Status == StatusAborted { // keep the first reason: it names what was running
		return res.Err
	}
	if ctx.Err() != nil {
		return r.abort(res, fmt.Errorf("cycle cancelled: %w", ctx.Err()))
	}
	if clock != nil {
		planNow = lastRun // a mark never starts before a recorded run: slower, never sooner
	}
	if err := r.fence(ctx, "marks", "this cycle"); err != nil { // the marks are the leader's: the grace period's memory
		revokeOnLostLeadership(res)
		return r.abort(res, err)
	}
	if err := r.plan(planNow, res); err != nil {
		return r.abort(res, err)
	}
	if clock != nil {
		r.blockAll(res, clock)
	}
	var actErr error
	if res.Status != StatusBlocked && res.Permissions.Terminate {
		actErr = r.act(ctx, res, refusals, pending, nil)
	}
	if err := r.markTags(ctx, res); err != nil && actErr == nil { // after act: a tag write never delays a termination or changes its re-check
		actErr = err
	}
	if actErr == nil && res.Permissions.Notices { // the record step sends the notices: only a leader may
		if err := r.fence(ctx, "owner notices", "this cycle"); err != nil {
			revokeOnLostLeadership(res)
			actErr = r.abort(res, err)
		}
	}
	return actErr
}

// abort marks the cycle as one that took no action because something could not be trusted. It
// does not log the error: the caller reports it, once (the daemon's "cycle failed", the command's
// error line), and the cycle's summary line says it aborted.
func (r *Reconciler) abort(res *Result, err error) error {
	res.Status = StatusAborted
	res.Err = err
	return err
}
