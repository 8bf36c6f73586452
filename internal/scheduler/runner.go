package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// timeoutShare is the part of the shortest schedule interval a cycle may use
// when Options.Timeout is zero.
const timeoutShare = 0.8

// maxSkipCount bounds the loop that counts runs skipped by an overlong job.
const maxSkipCount = 1_000_000

// ErrNoNextRun is returned by Run when the schedule has no future run.
var ErrNoNextRun = errors.New("schedule has no next run")

// ErrAlreadyRunning is returned by Run when the Runner is already running.
var ErrAlreadyRunning = errors.New("runner already running")

// Options configures a Runner. Only Schedule is required.
type Options struct {
	// Schedule says when cycles run.
	Schedule Schedule
	// Jitter delays each cycle by a random duration in [0, Jitter).
	Jitter time.Duration
	// Timeout bounds each cycle; 0 means 80% of the schedule's MinInterval.
	Timeout time.Duration
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Logger receives the runner's logs; nil discards them.
	Logger *slog.Logger
	// Rand returns a random number in [0, n) for the jitter; nil means
	// math/rand/v2.Int64N.
	Rand func(n int64) int64
	// OnPanic, when set, is called with the value of a recovered job panic.
	OnPanic func(v any)
}

// Runner runs a job on a schedule, one cycle at a time. Create it with New.
type Runner struct {
	clock   Clock
	logger  *slog.Logger
	jitter  time.Duration
	timeout time.Duration
	rand    func(n int64) int64
	onPanic func(v any)

	running atomic.Bool
	changed chan struct{} // SetSchedule wakes a wait in progress

	mu       sync.Mutex
	schedule Schedule
}

// New returns a Runner for opts.
func New(opts Options) *Runner {
	r := &Runner{
		clock:    opts.Clock,
		logger:   opts.Logger,
		jitter:   max(opts.Jitter, 0),
		timeout:  max(opts.Timeout, 0),
		rand:     opts.Rand,
		onPanic:  opts.OnPanic,
		changed:  make(chan struct{}, 1),
		schedule: opts.Schedule,
	}
	if r.clock == nil {
		r.clock = systemClock{}
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.rand == nil {
		r.rand = rand.Int64N
	}
	return r
}

// SetSchedule replaces the schedule, for a config reload. A wait in
// progress is abandoned and the next run is computed from now with the new
// schedule; a cycle in progress is not affected.
func (r *Runner) SetSchedule(s Schedule) {
	r.mu.Lock()
	r.schedule = s
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Run runs job on the schedule until ctx is done. Cycles never overlap: runs
// that fall inside a cycle that is still running are skipped. A job's panic
// is recovered and logged, and scheduling goes on. When ctx is done, a wait
// stops at once; a cycle in progress sees its context cancelled and Run
// returns after the job has returned. Run returns nil when stopped by ctx.
func (r *Runner) Run(ctx context.Context, job func(ctx context.Context) error) error {
	if job == nil {
		return errors.New("run scheduler: nil job")
	}
	if !r.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer r.running.Store(false)

	base := r.clock.Now()
	for {
		tick, err := r.wait(ctx, base)
		if ctx.Err() != nil {
			r.logger.Info("scheduler stopped")
			return nil
		}
		if err != nil {
			return err
		}
		r.cycle(ctx, tick, job)
		if ctx.Err() != nil {
			r.logger.Info("scheduler stopped")
			return nil
		}
		base = r.skipOverrun(tick)
	}
}

// wait blocks until the first run after base (plus jitter) and returns that
// run's scheduled time.
func (r *Runner) wait(ctx context.Context, base time.Time) (time.Time, error) {
	for {
		select { // the schedule read below is the latest one
		case <-r.changed:
		default:
		}
		sched := r.currentSchedule()
		tick := sched.Next(base)
		if tick.IsZero() {
			return time.Time{}, ErrNoNextRun
		}
		start := tick.Add(r.jitterDelay())
		r.logger.Debug("next cycle", "next_run", start, "schedule", sched.String(), "jitter", start.Sub(tick))

		fired, stop := startTimer(r.clock, start.Sub(r.clock.Now()))
		select {
		case <-fired:
			stop()
			return tick, nil
		case <-r.changed:
			stop()
			select {
			case <-fired: // the run was due before the change was seen: it is not dropped
				return tick, nil
			default:
			}
			base = r.clock.Now()
		case <-ctx.Done():
			stop()
			return time.Time{}, ctx.Err()
		}
	}
}

// skipOverrun logs the runs that passed while the cycle for tick ran and
// returns the last of them (or tick), the base for the next wait.
func (r *Runner) skipOverrun(tick time.Time) time.Time {
	sched := r.currentSchedule()
	end := r.clock.Now()
	base, skipped := tick, 0
	for n := sched.Next(base); !n.IsZero() && !n.After(end) && skipped < maxSkipCount; n = sched.Next(n) {
		base = n
		skipped++
	}
	if skipped > 0 {
		r.logger.Warn("cycle skipped", "reason", "still_running", "count", skipped, "scheduled_at", tick)
	}
	return base
}

func (r *Runner) jitterDelay() time.Duration {
	if r.jitter <= 0 {
		return 0
	}
	return time.Duration(r.rand(int64(r.jitter)))
}

func (r *Runner) currentSchedule() Schedule {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.schedule
}
