package scheduler

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunnerRunsOnSchedule(t *testing.T) {
	h := newHarness(t, utc("2026-11-26T08:10:00Z"), Options{Schedule: MustParse("@hourly", "UTC")})
	ran := make(chan time.Time, 10)
	h.start(func(context.Context) error {
		ran <- h.clock.Now()
		return nil
	})

	var got []time.Time
	for range 3 {
		next := h.awaitWait()
		h.clock.AdvanceTo(next)
		got = append(got, receive(t, ran, "cycle").UTC())
	}
	want := []time.Time{utc("2026-11-26T09:00:00Z"), utc("2026-11-26T10:00:00Z"), utc("2026-11-26T11:00:00Z")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run times (-want +got):\n%s", diff)
	}
	if err := h.stop(); err != nil {
		t.Errorf("Run returned %v after cancel, want nil", err)
	}
}

func TestRunnerNeverOverlaps(t *testing.T) {
	h := newHarness(t, utc("2026-11-26T08:05:00Z"), Options{Schedule: MustParse("*/10 * * * *", "UTC")})
	var inFlight, maxInFlight, calls atomic.Int32
	ran := make(chan time.Time, 10)
	h.start(func(context.Context) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		if n > maxInFlight.Load() {
			maxInFlight.Store(n)
		}
		start := h.clock.Now()
		if calls.Add(1) == 1 {
			// The first cycle takes 35 minutes: 08:20, 08:30 and 08:40 pass.
			h.clock.Advance(35 * time.Minute)
		}
		ran <- start
		return nil
	})

	h.clock.AdvanceTo(h.awaitWait())
	if got, want := receive(t, ran, "first cycle"), utc("2026-11-26T08:10:00Z"); !got.Equal(want) {
		t.Fatalf("first cycle at %s, want %s", got, want)
	}
	next := h.awaitWait()
	if want := utc("2026-11-26T08:50:00Z"); !next.Equal(want) {
		t.Fatalf("next cycle after the overrun at %s, want %s", next, want)
	}
	h.clock.AdvanceTo(next)
	receive(t, ran, "second cycle")

	if got := maxInFlight.Load(); got != 1 {
		t.Errorf("max concurrent cycles = %d, want 1", got)
	}
	skipped := h.log.find("cycle skipped")
	if len(skipped) != 1 {
		t.Fatalf("got %d \"cycle skipped\" logs, want 1", len(skipped))
	}
	if got, want := skipped[0].attrs["reason"].String(), "still_running"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	if got, want := skipped[0].attrs["count"].Int64(), int64(3); got != want {
		t.Errorf("count = %d, want %d", got, want)
	}
}

func TestRunnerPanicOnceThenContinues(t *testing.T) {
	var panicked []any
	h := newHarness(t, utc("2026-11-26T08:05:00Z"), Options{
		Schedule: MustParse("*/10 * * * *", "UTC"),
		OnPanic:  func(v any) { panicked = append(panicked, v) },
	})
	var calls atomic.Int32
	ran := make(chan int32, 10)
	h.start(func(context.Context) error {
		n := calls.Add(1)
		ran <- n
		if n == 1 {
			panic("boom")
		}
		return nil
	})

	h.clock.AdvanceTo(h.awaitWait())
	receive(t, ran, "panicking cycle")
	next := h.awaitWait()
	if want := utc("2026-11-26T08:20:00Z"); !next.Equal(want) {
		t.Errorf("cycle after the panic scheduled at %s, want %s", next, want)
	}
	h.clock.AdvanceTo(next)
	if got := receive(t, ran, "cycle after the panic"); got != 2 {
		t.Errorf("got call %d, want 2", got)
	}
	h.awaitWait() // the loop is still alive after the second cycle

	if diff := cmp.Diff([]any{"boom"}, panicked); diff != "" {
		t.Errorf("OnPanic values (-want +got):\n%s", diff)
	}
	logs := h.log.find("cycle panicked")
	if len(logs) != 1 {
		t.Fatalf("got %d \"cycle panicked\" logs, want 1", len(logs))
	}
	if got := logs[0].attrs["panic"].String(); got != "boom" {
		t.Errorf("panic attr = %q, want %q", got, "boom")
	}
	if stack := logs[0].attrs["stack"].String(); !strings.Contains(stack, "TestRunnerPanicOnceThenContinues") {
		t.Errorf("stack attr does not show the panicking job:\n%s", stack)
	}
}

func TestRunnerLogsJobError(t *testing.T) {
	h := newHarness(t, utc("2026-11-26T08:05:00Z"), Options{Schedule: MustParse("*/10 * * * *", "UTC")})
	ran := make(chan struct{}, 10)
	h.start(func(context.Context) error {
		ran <- struct{}{}
		return errors.New("inventory aborted")
	})
	h.clock.AdvanceTo(h.awaitWait())
	receive(t, ran, "failing cycle")
	h.clock.AdvanceTo(h.awaitWait())
	receive(t, ran, "cycle after the failure")

	logs := h.log.find("cycle failed")
	if len(logs) < 1 {
		t.Fatal("no \"cycle failed\" log")
	}
	if got := logs[0].attrs["error"].String(); !strings.Contains(got, "inventory aborted") {
		t.Errorf("error attr = %q, want the job's error", got)
	}
}

func TestRunnerJitterWithinBounds(t *testing.T) {
	const jitter = 5 * time.Minute
	tests := []struct {
		name string
		rand func(n int64) int64
		want time.Duration // offset from the tick; -1: anything in [0, jitter)
	}{
		{"smallest", func(int64) int64 { return 0 }, 0},
		{"largest", func(n int64) int64 { return n - 1 }, jitter - 1},
		{"default source", nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []int64
			rnd := tt.rand
			if rnd != nil {
				orig := rnd
				rnd = func(n int64) int64 { asked = append(asked, n); return orig(n) }
			}
			h := newHarness(t, utc("2026-11-26T08:10:00Z"), Options{
				Schedule: MustParse("@hourly", "UTC"), Jitter: jitter, Rand: rnd,
			})
			ran := make(chan time.Time, 100)
			h.start(func(context.Context) error { ran <- h.clock.Now(); return nil })

			tick := utc("2026-11-26T09:00:00Z")
			for i := range 20 {
				next := h.awaitWait()
				off := next.Sub(tick)
				if off < 0 || off >= jitter || (tt.want >= 0 && off != tt.want) {
					t.Fatalf("cycle %d: jitter %s, want %s in [0, %s)", i, off, tt.want, jitter)
				}
				h.clock.AdvanceTo(next)
				if got := receive(t, ran, "cycle"); !got.Equal(next) {
					t.Fatalf("cycle %d started at %s, want %s", i, got, next)
				}
				tick = tick.Add(time.Hour)
			}
			if err := h.stop(); err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
			for _, n := range asked {
				if n != int64(jitter) {
					t.Errorf("Rand asked for n = %d, want %d", n, int64(jitter))
				}
			}
		})
	}
}

func TestRunnerCycleTimeout(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		timeout time.Duration
		want    time.Duration
	}{
		{"derived: 80% of 10m", "*/10 * * * *", 0, 8 * time.Minute},
		{"derived: 80% of the shortest gap", "0 9,17 * * *", 0, 8 * time.Hour * 8 / 10},
		{"explicit", "*/10 * * * *", 2 * time.Minute, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, utc("2026-11-26T08:05:00Z"), Options{Schedule: MustParse(tt.spec, "UTC"), Timeout: tt.timeout})
			started := make(chan context.Context, 1)
			finished := make(chan error, 1)
			h.start(func(ctx context.Context) error {
				started <- ctx
				<-ctx.Done()
				finished <- context.Cause(ctx)
				return ctx.Err()
			})
			h.clock.AdvanceTo(h.awaitWait())
			ctx := receive(t, started, "cycle start")
			begin := h.clock.Now()

			if at, ok := h.clock.NextWaiter(); !ok || at.Sub(begin) != tt.want {
				t.Fatalf("timeout timer at %s after start, want %s", at.Sub(begin), tt.want)
			}
			h.clock.Advance(tt.want - time.Second)
			if err := ctx.Err(); err != nil {
				t.Fatalf("cycle context ended %s early: %v", time.Second, err)
			}
			h.clock.Advance(time.Second)
			cause := receive(t, finished, "cycle end")
			if !errors.Is(cause, ErrCycleTimeout) || !errors.Is(cause, context.DeadlineExceeded) {
				t.Errorf("cause = %v, want ErrCycleTimeout (a DeadlineExceeded)", cause)
			}
			h.awaitWait()
			if logs := h.log.find("cycle timed out"); len(logs) != 1 {
				t.Errorf("got %d \"cycle timed out\" logs, want 1", len(logs))
			}
		})
	}
}

func TestSystemClockTimeoutSetsDeadline(t *testing.T) {
	r := New(Options{Schedule: MustParse("@hourly", "UTC")})
	before := time.Now()
	ctx, cancel := r.withTimeout(context.Background(), time.Hour)
	defer cancel()
	dl, ok := ctx.Deadline()
	if !ok {
		t.Fatal("cycle context has no deadline with the system clock")
	}
	if d := dl.Sub(before); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("deadline %s after start, want about 1h", d)
	}
	cancel()
	if got := context.Cause(ctx); errors.Is(got, ErrCycleTimeout) {
		t.Errorf("cause after cancel = %v, want not a timeout", got)
	}
}

func TestRunnerCancelWhileWaiting(t *testing.T) {
	h := newHarness(t, utc("2026-11-26T08:10:00Z"), Options{Schedule: MustParse("@hourly", "UTC")})
	var calls atomic.Int32
	h.start(func(context.Context) error { calls.Add(1); return nil })
	h.awaitWait()
	if err := h.stop(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if got := calls.Load(); got != 0 {
		t.Errorf("job ran %d times, want 0", got)
	}
	if got := h.clock.Waiters(); got != 0 {
		t.Errorf("%d timers left behind, want 0", got)
	}
}

func TestRunnerCancelMidJobWaitsForJob(t *testing.T) {
	h := newHarness(t, utc("2026-11-26T08:10:00Z"), Options{Schedule: MustParse("@hourly", "UTC")})
	started := make(chan struct{})
	sawCancel := make(chan struct{})
	release := make(chan struct{})
	var returned atomic.Bool
	h.start(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		close(sawCancel)
		<-release
		returned.Store(true)
		return ctx.Err()
	})
	h.clock.AdvanceTo(h.awaitWait())
	receive(t, started, "job to start")

	h.cancel()
	receive(t, sawCancel, "job to see the cancellation")
	select {
	case err := <-h.done:
		h.done <- err
		t.Fatal("Run returned while the job was still running")
	default:
	}
	close(release)
	if err := h.stop(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if !returned.Load() {
		t.Error("Run returned before the job did")
	}
}

func TestRunnerSetScheduleDuringWait(t *testing.T) {
	h := newHarness(t, utc("2026-11-26T08:10:00Z"), Options{Schedule: MustParse("@hourly", "UTC")})
	ran := make(chan time.Time, 10)
	h.start(func(context.Context) error { ran <- h.clock.Now(); return nil })

	if got, want := h.awaitWait(), utc("2026-11-26T09:00:00Z"); !got.Equal(want) {
		t.Fatalf("first wait until %s, want %s", got, want)
	}
	h.runner.SetSchedule(MustParse("*/10 * * * *", "UTC"))
	next := h.awaitWait()
	if want := utc("2026-11-26T08:20:00Z"); !next.Equal(want) {
		t.Fatalf("after SetSchedule waiting until %s, want %s", next, want)
	}
	h.clock.AdvanceTo(next)
	if got := receive(t, ran, "cycle"); !got.Equal(next) {
		t.Errorf("cycle ran at %s, want %s", got, next)
	}
}

func TestRunnerRefuses(t *testing.T) {
	t.Run("zero schedule", func(t *testing.T) {
		r := New(Options{Clock: NewFakeClock(utc("2026-11-26T08:10:00Z"))})
		err := r.Run(context.Background(), func(context.Context) error { return nil })
		if !errors.Is(err, ErrNoNextRun) {
			t.Errorf("Run = %v, want ErrNoNextRun", err)
		}
	})
	t.Run("nil job", func(t *testing.T) {
		r := New(Options{Schedule: MustParse("@hourly", "UTC")})
		if err := r.Run(context.Background(), nil); err == nil {
			t.Error("Run(nil) = nil, want an error")
		}
	})
	t.Run("second Run", func(t *testing.T) {
		h := newHarness(t, utc("2026-11-26T08:10:00Z"), Options{Schedule: MustParse("@hourly", "UTC")})
		h.start(func(context.Context) error { return nil })
		h.awaitWait()
		err := h.runner.Run(context.Background(), func(context.Context) error { return nil })
		if !errors.Is(err, ErrAlreadyRunning) {
			t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
		}
	})
}

// dueClock answers the runner's first wait with a run that is already due, and at the same moment
// a schedule change (a reload) is pending. Later waits for a run never fire; they are reported on
// rewait. (The cycle's timer, dueTimeout long, never fires either.)
type dueClock struct {
	now    time.Time
	r      *Runner
	waits  int
	rewait chan struct{}
}

func (c *dueClock) Now() time.Time { return c.now }

const dueTimeout = time.Hour

func (c *dueClock) After(d time.Duration) <-chan time.Time {
	if d == dueTimeout {
		return make(chan time.Time)
	}
	c.waits++
	if c.waits > 1 {
		close(c.rewait)
		return make(chan time.Time)
	}
	c.r.SetSchedule(c.r.currentSchedule()) // a reload with the same schedule, seen during the wait
	fired := make(chan time.Time, 1)
	fired <- c.now
	return fired
}

// TestRunnerReloadAtTheTickKeepsTheRun: a schedule change that arrives when the run is already
// due does not drop that run. (Both are ready when the runner looks; before the fix, the select
// chose the change half of the time and the due run was skipped.)
func TestRunnerReloadAtTheTickKeepsTheRun(t *testing.T) {
	for i := range 32 {
		clock := &dueClock{now: utc("2026-11-26T08:00:00Z"), rewait: make(chan struct{})}
		r := New(Options{Schedule: MustParse("@every 1m", "UTC"), Timeout: dueTimeout, Clock: clock})
		clock.r = r
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- r.Run(ctx, func(context.Context) error { close(ran); cancel(); return nil })
		}()
		select {
		case <-ran:
		case <-clock.rewait:
			t.Fatalf("attempt %d: the due run was dropped and the runner waited again", i)
		case <-time.After(testTimeout):
			t.Fatalf("attempt %d: neither a run nor a new wait", i)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
	}
}
