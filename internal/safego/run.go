package safego

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Run calls job(ctx, worker, i) for every i in [0, n), on at most k goroutines at once (k below 1
// counts as 1), and returns when none of its goroutines is left. worker, in [0, min(k, n)), names
// the goroutine running the job, for state a goroutine keeps from one job to the next.
//
// The first job to fail, by returning an error or by panicking (a *PanicError naming where),
// cancels the ctx the others were given (its cause is context.Canceled, not that failure) and no
// further job starts; Run returns that error. When ctx is done before every job has run, Run
// returns context.Cause(ctx), and when a job ended its goroutine without returning
// (runtime.Goexit), an error saying so. Run returns nil only when every job ran and returned nil.
func Run(ctx context.Context, where string, n, k int, job func(ctx context.Context, worker, i int) error) error {
	if n <= 0 {
		return nil
	}
	// A plain cancel, not one with the failure as its cause: a job cut short reports a
	// cancellation, never another job's error as if it were its own (zen's transport errors wrap
	// context.Cause, and an API error inside would be counted as an answer, or as throttling).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		once       sync.Once
		first      error
	)
	fail := func(err error) {
		once.Do(func() {
			first = err
			cancel()
		})
	}
	for w := range min(max(k, 1), n) {
		wg.Go(func() {
			if err := Call(where, func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n || ctx.Err() != nil {
						return
					}
					if err := job(ctx, w, i); err != nil {
						fail(err)
						return
					}
					done.Add(1)
				}
			}); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if d := int(done.Load()); d < n {
		if cause := context.Cause(ctx); cause != nil {
			return cause
		}
		// No job failed and ctx is not done, yet a job never returned: its goroutine ended
		// (runtime.Goexit). That is no success.
		return fmt.Errorf("%s: %d of %d jobs did not run to the end", where, n-d, n)
	}
	return nil
}
