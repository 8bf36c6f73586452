package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// ErrCycleTimeout is the cause (see context.Cause) of a cycle context that
// the cycle timeout cancelled. It matches context.DeadlineExceeded.
var ErrCycleTimeout = fmt.Errorf("cycle timeout: %w", context.DeadlineExceeded)

// panicError reports a job that panicked.
type panicError struct {
	value any
}

func (e *panicError) Error() string { return fmt.Sprintf("cycle panicked: %v", e.value) }

// cycle runs one job with the cycle timeout and logs how it ended.
func (r *Runner) cycle(ctx context.Context, tick time.Time, job func(context.Context) error) {
	timeout := r.cycleTimeout(tick)
	jctx, cancel := r.withTimeout(ctx, timeout)
	defer cancel()

	start := r.clock.Now()
	r.logger.Debug("cycle started", "scheduled_at", tick, "timeout", timeout)
	err := r.call(jctx, job)
	took := r.clock.Now().Sub(start)

	var perr *panicError
	var worker *safego.PanicError
	switch {
	case errors.As(err, &perr):
		// call logged it with the stack.
	case errors.As(err, &worker) || errors.As(context.Cause(jctx), &worker):
		// A goroutine of the job panicked and the job returned it: a panic all the same.
		r.logger.Error("cycle panicked", "where", worker.Where, "panic", fmt.Sprint(worker.Value),
			"error", err, "stack", string(worker.Stack))
		if r.onPanic != nil {
			r.onPanic(worker.Value)
		}
	case errors.Is(context.Cause(jctx), ErrCycleTimeout):
		r.logger.Error("cycle timed out", "timeout", timeout, "duration", took, "error", err)
	case err != nil && ctx.Err() != nil:
		r.logger.Info("cycle interrupted", "duration", took, "error", err)
	case err != nil:
		r.logger.Error("cycle failed", "duration", took, "error", err)
	default:
		r.logger.Debug("cycle finished", "duration", took)
	}
}

// call runs job and turns a panic into a *panicError.
func (r *Runner) call(ctx context.Context, job func(context.Context) error) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		r.logger.Error("cycle panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		err = &panicError{value: v}
		if r.onPanic != nil {
			r.onPanic(v)
		}
	}()
	return job(ctx)
}

// cycleTimeout returns Options.Timeout, or 80% of the shortest interval of
// the current schedule, or 0 (no timeout) if neither is known.
func (r *Runner) cycleTimeout(tick time.Time) time.Duration {
	return CycleTimeout(r.currentSchedule(), r.timeout, tick)
}

// CycleTimeout is the bound of a cycle that starts at tick: timeout when it
// is positive, otherwise 80% of the shortest interval of s from tick, or 0 (no
// timeout) if neither is known. The daemon's cycles and single cycles (run
// --once, plan) use the same bound.
func CycleTimeout(s Schedule, timeout time.Duration, tick time.Time) time.Duration {
	if timeout > 0 {
		return timeout
	}
	return time.Duration(float64(s.MinInterval(tick)) * timeoutShare)
}

// withTimeout returns a context cancelled with ErrCycleTimeout after d on
// the runner's clock. With the system clock it carries a real deadline.
func (r *Runner) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	if _, ok := r.clock.(systemClock); ok {
		return context.WithTimeoutCause(ctx, d, ErrCycleTimeout)
	}
	jctx, cancel := context.WithCancelCause(ctx)
	fired, stop := startTimer(r.clock, d)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := safego.Call("cycle timer", func() {
			defer stop()
			select {
			case <-fired:
				cancel(ErrCycleTimeout)
			case <-jctx.Done():
			}
		})
		if err != nil {
			cancel(err) // the cycle stops, and cycle() reports the panic
		}
	}()
	return jctx, func() {
		cancel(context.Canceled)
		<-done
	}
}
