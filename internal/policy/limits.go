package policy

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"time"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// Limits: every evaluation (Evaluate, Explain, RunTests) stops at the deadline of its ctx and
// when the Go heap grows past the engine's memory limit. OPA checks for cancellation before each
// expression, inside comprehensions and in the builtins that loop (numbers.range, string
// building), so a policy that loops forever or builds a huge value one step at a time is
// stopped within a step. A single builtin call that allocates a huge value at once cannot be
// interrupted: only the operating system bounds it (the unit's MemoryMax=).

// ErrMemoryLimit is the cause of an evaluation stopped because the heap grew past the limit.
var ErrMemoryLimit = errors.New("policy memory limit exceeded")

// DefaultMemoryLimit is the heap size at which evaluation stops when Options.MemoryLimit is 0.
const DefaultMemoryLimit = 1 << 30

// memoryPoll is how often the heap is sampled while policies are evaluated.
const memoryPoll = 5 * time.Millisecond

// LimitError is an evaluation that was stopped before it finished: its deadline passed, the
// heap grew past the memory limit, or its caller cancelled it. No decision is returned with it.
type LimitError struct {
	// Policy is the policy package that was being evaluated ("reaper.expiry"; a helper package
	// such as "reaper.lib" when one of its rules was evaluated once for all instances).
	Policy string
	// Tests names, for RunTests, the tests that were running ("data.reaper.expiry_test.test_ttl").
	Tests string
	// InstanceID is the instance being evaluated; empty for a rule evaluated once for all
	// instances, and for tests.
	InstanceID string
	// Cause says why: the cause of the context (context.DeadlineExceeded, a cycle timeout,
	// context.Canceled) or an error matching ErrMemoryLimit.
	Cause error
}

// Error names the policy, the instance and the cause.
func (e *LimitError) Error() string {
	what := "policy evaluation"
	switch {
	case e.Policy != "":
		what = "policy " + e.Policy
	case e.Tests != "":
		what = "policy test " + e.Tests
	}
	if e.InstanceID != "" {
		what += " (instance " + e.InstanceID + ")"
	}
	return fmt.Sprintf("%s stopped before it finished: %v", what, e.Cause)
}

// Unwrap returns the cause, for errors.Is.
func (e *LimitError) Unwrap() error { return e.Cause }

// memoryError is the cause of a context the memory watch cancelled.
type memoryError struct {
	heap, limit uint64
}

func (e *memoryError) Error() string {
	return fmt.Sprintf("heap reached %d MiB, over the policy memory limit of %d MiB", e.heap>>20, e.limit>>20)
}

func (e *memoryError) Is(target error) bool { return target == ErrMemoryLimit }

// heapBytes is the memory the Go heap's objects occupy, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// watchMemory returns a context that is cancelled, with a cause matching ErrMemoryLimit, as soon
// as the heap is seen above limit, and a function that ends the watch. It is the caller's job
// to stop its evaluation when the context ends.
func watchMemory(ctx context.Context, limit uint64) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := safego.Call("policy memory watch", func() {
			t := time.NewTicker(memoryPoll)
			defer t.Stop()
			for {
				if h := heapBytes(); h > limit {
					cancel(&memoryError{heap: h, limit: limit})
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
		if err != nil {
			cancel(err) // the evaluation stops with the panic as its cause
		}
	}()
	return ctx, func() {
		cancel(context.Canceled)
		<-done
	}
}

// stopCause is why ctx ended: its cause, or nil while it has not ended.
func stopCause(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return context.Cause(ctx)
}
