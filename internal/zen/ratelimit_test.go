package zen

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
)

// TestRateLimiterSpacesCalls: 10 calls at 5 requests per second take 9 waits of 200ms each on a
// clock that only the waits advance.
func TestRateLimiterSpacesCalls(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T", nil) })
	clock := clocktest.New(time.Unix(1700000000, 0))
	var waits recorder
	c := newTestClient(t, f, WithRequestsPerSecond(5), WithSleep(func(ctx context.Context, d time.Duration) error {
		clock.Advance(d)
		return waits.sleep(ctx, d)
	}))
	c.limiterNow = clock.Now
	for range 10 {
		if _, err := c.TerminateInstance(context.Background(), "1"); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Repeat([]time.Duration{200 * time.Millisecond}, 9)
	if got := waits.get(); !slices.Equal(got, want) {
		t.Errorf("limiter waits = %v, want %v", got, want)
	}
	if got, want := clock.Now().Sub(time.Unix(1700000000, 0)), 1800*time.Millisecond; got != want {
		t.Errorf("10 calls took %v of limiter time, want %v", got, want)
	}
}

// TestRateLimiterSharedByConcurrentPages: the page workers share the client's limiter, so with a
// frozen clock 5 pages at 10 rps reserve slots 0, 100, 200, 300 and 400ms.
func TestRateLimiterSharedByConcurrentPages(t *testing.T) {
	f := newFakeAPI(t, pagedFleet(t, map[string][]map[string]any{"/": fleet(4500, "", "")}, nil))
	clock := clocktest.New(time.Unix(1700000000, 0))
	var waits recorder
	c := newTestClient(t, f, WithRequestsPerSecond(10), WithPageConcurrency(4), WithSleep(waits.sleep))
	c.limiterNow = clock.Now
	if _, err := c.ListInstances(context.Background(), Filter{}); err != nil {
		t.Fatal(err)
	}
	got := waits.get()
	slices.Sort(got)
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Errorf("limiter waits = %v, want %v", got, want)
	}
}

// TestRetriesPassThroughLimiter: a retried call takes a limiter slot per attempt.
func TestRetriesPassThroughLimiter(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if req.N == 1 {
			apiErr(t, w, http.StatusTooManyRequests, CodeRequestLimitExceeded, "T")
			return
		}
		ok(t, w, "T", nil)
	})
	clock := clocktest.New(time.Unix(1700000000, 0))
	var waits recorder
	c := newTestClient(t, f, WithRequestsPerSecond(2), WithSleep(waits.sleep), WithRetry(4, time.Millisecond, time.Millisecond))
	c.limiterNow = clock.Now
	c.jitter = func(d time.Duration) time.Duration { return d }
	if _, err := c.TerminateInstance(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	// The throttling backoff (1ms plus half again of jitter), then the limiter's wait for the
	// second slot: the 429 halved the rate to 1 per second, so 1s on a frozen clock.
	if got, want := waits.get(), []time.Duration{1500 * time.Microsecond, time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

// TestLimiterWaitCanceled returns the reserved slot and stops when ctx ends during the wait.
func TestLimiterWaitCanceled(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T", nil) })
	ctx, cancel := context.WithCancel(context.Background())
	c := newTestClient(t, f, WithRequestsPerSecond(1), WithSleep(func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}))
	clock := clocktest.New(time.Unix(1700000000, 0))
	c.limiterNow = clock.Now
	if _, err := c.TerminateInstance(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TerminateInstance(ctx, "1"); err == nil {
		t.Fatal("second call succeeded, want the canceled limiter wait to fail it")
	}
	if n := f.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
	// The canceled reservation was returned: one second later a slot is free again at once.
	clock.Advance(time.Second)
	if d := c.limiter.ReserveN(clock.Now(), 1).DelayFrom(clock.Now()); d != 0 {
		t.Errorf("after the canceled wait the next slot is %v away, want 0", d)
	}
}
