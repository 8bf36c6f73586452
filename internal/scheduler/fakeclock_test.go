package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFakeClockAfterFiresOnAdvance(t *testing.T) {
	t0 := utc("2026-11-26T08:00:00Z")
	c := NewFakeClock(t0)
	late := c.After(2 * time.Minute)
	early := c.After(time.Minute)
	if got, want := c.Waiters(), 2; got != want {
		t.Fatalf("Waiters = %d, want %d", got, want)
	}
	if at, ok := c.NextWaiter(); !ok || !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("NextWaiter = %s, %v; want %s, true", at, ok, t0.Add(time.Minute))
	}

	c.Advance(time.Minute)
	select {
	case got := <-early:
		if want := t0.Add(time.Minute); !got.Equal(want) {
			t.Errorf("early fired with %s, want %s", got, want)
		}
	default:
		t.Fatal("early did not fire after Advance(1m)")
	}
	select {
	case <-late:
		t.Fatal("late fired before its time")
	default:
	}

	c.AdvanceTo(t0.Add(5 * time.Minute))
	select {
	case <-late:
	default:
		t.Fatal("late did not fire after AdvanceTo")
	}
	if got := c.Waiters(); got != 0 {
		t.Errorf("Waiters = %d after all fired, want 0", got)
	}
	if got, want := c.Now(), t0.Add(5*time.Minute); !got.Equal(want) {
		t.Errorf("Now = %s, want %s", got, want)
	}
}

func TestFakeClockNonPositiveFiresAtOnce(t *testing.T) {
	c := NewFakeClock(utc("2026-11-26T08:00:00Z"))
	for _, d := range []time.Duration{0, -time.Second} {
		select {
		case <-c.After(d):
		default:
			t.Errorf("After(%s) did not fire at once", d)
		}
	}
	if got := c.Waiters(); got != 0 {
		t.Errorf("Waiters = %d, want 0", got)
	}
}

func TestFakeClockStoppedTimerIsReleased(t *testing.T) {
	c := NewFakeClock(utc("2026-11-26T08:00:00Z"))
	_, stop := startTimer(c, time.Hour)
	if got := c.Waiters(); got != 1 {
		t.Fatalf("Waiters = %d, want 1", got)
	}
	stop()
	if got := c.Waiters(); got != 0 {
		t.Errorf("Waiters = %d after stop, want 0", got)
	}
}

func TestFakeClockBlockUntil(t *testing.T) {
	c := NewFakeClock(utc("2026-11-26T08:00:00Z"))
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- c.BlockUntil(ctx, 2)
	}()
	c.After(time.Minute)
	c.After(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("BlockUntil: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.BlockUntil(ctx, 3); !errors.Is(err, context.Canceled) {
		t.Errorf("BlockUntil with a cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestFakeClockBlockUntilWaiterAt(t *testing.T) {
	t0 := utc("2026-11-26T08:00:00Z")
	c := NewFakeClock(t0)
	c.After(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.BlockUntilWaiterAt(ctx, t0.Add(time.Minute)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no waiter at +1m: BlockUntilWaiterAt = %v, want the context's deadline", err)
	}
	found := make(chan error, 1)
	go func() { found <- c.BlockUntilWaiterAt(context.Background(), t0.Add(time.Minute)) }()
	c.After(time.Minute)
	select {
	case err := <-found:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testTimeout):
		t.Fatal("BlockUntilWaiterAt did not see the waiter at +1m")
	}
}
