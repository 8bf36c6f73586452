package safego

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

var errJob = errors.New("job failed")

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		n, k     int
		canceled bool                                   // ctx is done before Run
		job      func(ctx context.Context, i int) error // nil: succeed
		wantErr  error                                  // nil: Run returns nil
		wantPan  any                                    // the panic value when Run returns a *PanicError
		maxRan   int                                    // -1: every job must run once
	}{
		{name: "all succeed", n: 50, k: 4, maxRan: -1},
		{name: "more workers than jobs", n: 2, k: 10, maxRan: -1},
		{name: "no workers counts as one", n: 3, k: 0, maxRan: -1},
		{name: "no jobs", n: 0, k: 3, maxRan: 0},
		{name: "first error cancels the rest", n: 50, k: 2, maxRan: 2, wantErr: errJob,
			job: func(ctx context.Context, i int) error {
				if i == 0 {
					return errJob
				}
				<-ctx.Done() // job 1, when it started: only the failure of job 0 ends it
				return ctx.Err()
			}},
		{name: "a panic is the error", n: 50, k: 2, maxRan: 2, wantPan: "boom",
			job: func(ctx context.Context, i int) error {
				if i == 0 {
					panic("boom")
				}
				<-ctx.Done()
				return nil
			}},
		{name: "ctx done before Run", n: 5, k: 2, canceled: true, maxRan: 0, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.canceled {
				cancel()
			}
			var mu sync.Mutex
			ran := map[int]int{}
			err := Run(ctx, "test worker", tt.n, tt.k, func(ctx context.Context, worker, i int) error {
				mu.Lock()
				ran[i]++
				mu.Unlock()
				if worker < 0 || worker >= max(tt.k, 1) {
					t.Errorf("job %d ran on worker %d, want one of [0, %d)", i, worker, max(tt.k, 1))
				}
				if tt.job == nil {
					return nil
				}
				return tt.job(ctx, i)
			})
			switch {
			case tt.wantPan != nil:
				pe, ok := errors.AsType[*PanicError](err)
				if !ok || pe.Where != "test worker" || pe.Value != tt.wantPan {
					t.Fatalf("Run = %v, want a *PanicError in test worker with %v", err, tt.wantPan)
				}
			case !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil):
				t.Fatalf("Run = %v, want %v", err, tt.wantErr)
			}
			for i, c := range ran {
				if c != 1 {
					t.Errorf("job %d ran %d times, want once", i, c)
				}
			}
			if tt.maxRan < 0 && len(ran) != tt.n {
				t.Errorf("%d of %d jobs ran, want all", len(ran), tt.n)
			}
			if tt.maxRan >= 0 && len(ran) > tt.maxRan {
				t.Errorf("%d jobs ran (%v), want at most %d", len(ran), ran, tt.maxRan)
			}
		})
	}
}

// TestRunAtMostKAtOnce: with jobs held at a gate, k of them run at once and never more.
func TestRunAtMostKAtOnce(t *testing.T) {
	for _, k := range []int{1, 3, 8} {
		const n = 20
		var running, most atomic.Int64
		arrived := make(chan struct{}, n)
		gate := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- Run(context.Background(), "gated", n, k, func(ctx context.Context, worker, i int) error {
				now := running.Add(1)
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				arrived <- struct{}{}
				<-gate
				running.Add(-1)
				return nil
			})
		}()
		for range k { // k jobs reach the gate together: none has finished to free its worker
			<-arrived
		}
		close(gate)
		if err := <-errc; err != nil {
			t.Fatalf("k=%d: Run = %v", k, err)
		}
		if got := most.Load(); got != int64(k) {
			t.Errorf("k=%d: at most %d jobs ran at once, want %d", k, got, k)
		}
	}
}

// TestRunJobThatNeverReturns: a job that ends its goroutine without returning (runtime.Goexit,
// as t.FailNow does) has not run to the end: Run must not report that every job succeeded,
// though ctx is not done and no job failed or panicked.
func TestRunJobThatNeverReturns(t *testing.T) {
	var ran atomic.Int64
	err := Run(context.Background(), "exiting worker", 5, 1, func(ctx context.Context, worker, i int) error {
		ran.Add(1)
		if i == 1 {
			runtime.Goexit()
		}
		return nil
	})
	if err == nil {
		t.Fatalf("Run = nil after job 1 of 5 never returned (%d jobs ran), want an error", ran.Load())
	}
}

// TestRunCutShortJobSeesACancellation: a job cut short by another's failure sees its ctx
// cancelled as such (context.Canceled), not with the other job's error as the cause, which it
// would report as its own.
func TestRunCutShortJobSeesACancellation(t *testing.T) {
	started := make(chan struct{})
	causes := make(chan error, 1)
	err := Run(context.Background(), "test worker", 2, 2, func(ctx context.Context, worker, i int) error {
		if i == 0 {
			<-started
			return errJob
		}
		close(started)
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return ctx.Err()
	})
	if !errors.Is(err, errJob) {
		t.Fatalf("Run = %v, want %v", err, errJob)
	}
	if cause := <-causes; cause != context.Canceled {
		t.Errorf("the cut short job's ctx cause = %v, want context.Canceled", cause)
	}
}
