package zen

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
	"golang.org/x/time/rate"
)

// throttleThen answers the first n requests with 429 REQUEST_LIMIT_EXCEEDED (with the given
// Retry-After, when not empty) and the rest with success.
func throttleThen(t *testing.T, n int, retryAfter string) func(http.ResponseWriter, *http.Request, apiRequest) {
	return func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if req.N <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			apiErr(t, w, http.StatusTooManyRequests, CodeRequestLimitExceeded, "T-429")
			return
		}
		ok(t, w, "T-ok", nil)
	}
}

// TestThrottledRetriesWaitAtLeastTheSDKSchedule: with the default policy a throttled call is
// retried after 1, 2 and 4 seconds at least (the official SDKs' schedule), even when the jitter
// picks nothing; other retryable failures keep full jitter.
func TestThrottledRetriesWaitAtLeastTheSDKSchedule(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		code   string
		want   []time.Duration
	}{
		{"429", http.StatusTooManyRequests, CodeRequestLimitExceeded, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"REQUEST_LIMIT_EXCEEDED with 400", http.StatusBadRequest, CodeRequestLimitExceeded, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"500", http.StatusInternalServerError, CodeInternalServerError, []time.Duration{0, 0, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { apiErr(t, w, tt.status, tt.code, "T") })
			var waits recorder
			c := newTestClient(t, f, WithSleep(waits.sleep),
				WithRetry(DefaultMaxAttempts, DefaultBackoffBase, DefaultBackoffMax))
			c.jitter = func(time.Duration) time.Duration { return 0 }
			if _, err := c.TerminateInstance(context.Background(), "1"); err == nil {
				t.Fatal("call succeeded, want it to give up")
			}
			if got := waits.get(); !slices.Equal(got, tt.want) {
				t.Errorf("waits = %v, want %v", got, tt.want)
			}
			if n := f.count(); n != DefaultMaxAttempts {
				t.Errorf("server saw %d attempts, want %d", n, DefaultMaxAttempts)
			}
		})
	}
}

// TestRetryAfterIsHonoured: a Retry-After on a throttled answer (seconds or an HTTP date) sets the
// least wait; a malformed or past one is ignored; one longer than the client waits, or than the
// call's deadline, fails the call at once without waiting.
func TestRetryAfterIsHonoured(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		header    string
		deadline  time.Duration // 0: none
		wantWaits []time.Duration
		wantErr   string // "" means the call succeeds
		wantCalls int
	}{
		{"seconds", "7", 0, []time.Duration{7 * time.Second}, "", 2},
		{"shorter than the backoff", "0", 0, []time.Duration{time.Second}, "", 2},
		{"http date", now.Add(20 * time.Second).Format(http.TimeFormat), 0, []time.Duration{20 * time.Second}, "", 2},
		{"past http date", now.Add(-time.Minute).Format(http.TimeFormat), 0, []time.Duration{time.Second}, "", 2},
		{"malformed", "soon", 0, []time.Duration{time.Second}, "", 2},
		{"negative", "-5", 0, []time.Duration{time.Second}, "", 2},
		{"too long", "3600", 0, nil, "retry after 1h0m0s", 1},
		{"beyond the deadline", "60", 30 * time.Second, nil, "beyond the call's deadline", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, throttleThen(t, 1, tt.header))
			var waits recorder
			c := newTestClient(t, f, WithSleep(waits.sleep), WithRetry(4, time.Second, 30*time.Second))
			c.jitter = func(time.Duration) time.Duration { return 0 }
			c.limiterNow = clocktest.New(now).Now
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := c.TerminateInstance(ctx, "1")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !IsRateLimited(err)):
				t.Fatalf("err = %v, want a rate-limit error containing %q", err, tt.wantErr)
			}
			if got := waits.get(); !slices.Equal(got, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", got, tt.wantWaits)
			}
			if n := f.count(); n != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

// TestRateAdaptsToThrottling: a throttled answer halves the client's rate; successes bring it
// back by a twentieth of the configured rate each, but by an eightieth near the rate last
// throttled (from 3/4 to 9/8 of it), up to the configured rate and no further.
func TestRateAdaptsToThrottling(t *testing.T) {
	f := newFakeAPI(t, throttleThen(t, 2, ""))
	clock := clocktest.New(time.Unix(1700000000, 0))
	c := newTestClient(t, f, WithRequestsPerSecond(10), WithSleep(func(_ context.Context, d time.Duration) error {
		clock.Advance(d)
		return nil
	}))
	c.limiterNow = clock.Now
	// Two 429s (the second sent after the first decrease: 10 -> 5 -> 2.5), then one success.
	if _, err := c.TerminateInstance(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		successes int
		want      rate.Limit
	}{
		{0, 2.5 + 0.5},
		{1, 3.5},
		{1, 4},     // 3.5 was below 3/4 of the last throttled rate, 5
		{1, 4.125}, // from here on, near 5: an eightieth
		{11, 5.5},
		{1, 5.625}, // 5.5 is still below 9/8 of 5
		{1, 6.125}, // beyond it, a twentieth again
		{7, 9.625},
		{1, 10}, {3, 10}, // never above the configured rate
	} {
		for range step.successes {
			if _, err := c.TerminateInstance(context.Background(), "1"); err != nil {
				t.Fatal(err)
			}
		}
		if got := c.limiter.Limit(); got != step.want {
			t.Fatalf("rate after %d more successes = %v, want %v", step.successes, got, step.want)
		}
	}
}

// TestAdaptiveRateDecreasesOncePerBurst: throttled answers to requests sent before the last
// decrease do not lower the rate again, and the rate never falls below 1/16 of the configured
// rate; an unlimited client is left alone.
func TestAdaptiveRateDecreasesOncePerBurst(t *testing.T) {
	clock := clocktest.New(time.Unix(1700000000, 0))
	l := rate.NewLimiter(16, 1)
	a := newAdaptiveRate(l, clock.Now, slog.New(slog.DiscardHandler))
	sent := a.current()
	for range 4 { // four requests sent together, all throttled
		a.throttled(sent)
	}
	if got := l.Limit(); got != 8 {
		t.Fatalf("rate after a burst of throttles = %v, want 8", got)
	}
	for range 10 {
		a.throttled(a.current())
	}
	if got := l.Limit(); got != 1 {
		t.Fatalf("rate after many throttles = %v, want the floor 1", got)
	}
	inf := rate.NewLimiter(rate.Inf, 1)
	b := newAdaptiveRate(inf, clock.Now, slog.New(slog.DiscardHandler))
	b.throttled(b.current())
	if inf.Limit() != rate.Inf {
		t.Fatalf("unlimited client got rate %v", inf.Limit())
	}
}

// TestExhaustedErrorSaysWhy: the message of a call that used up its attempts says whether every
// attempt was throttled, and at what rate the client then was.
func TestExhaustedErrorSaysWhy(t *testing.T) {
	last := &APIError{Action: "DescribeInstances", HTTPStatus: http.StatusTooManyRequests, Code: CodeRequestLimitExceeded, RequestID: "T-1"}
	for _, tt := range []struct {
		err  ExhaustedError
		want string
	}{
		{ExhaustedError{Attempts: 4, Throttled: 4, RequestsPerSecond: "0.625", Err: last},
			"gave up after 4 attempts, all throttled by the API (request rate lowered to 0.625 per second): zen: DescribeInstances: REQUEST_LIMIT_EXCEEDED"},
		{ExhaustedError{Attempts: 4, Throttled: 4, RequestsPerSecond: unlimited, Err: last},
			"gave up after 4 attempts, all throttled by the API (the client has no request rate limit): zen:"},
		{ExhaustedError{Attempts: 4, Throttled: 3, RequestsPerSecond: "1", Err: last},
			"gave up after 4 attempts: zen: DescribeInstances"},
	} {
		if got := tt.err.Error(); !strings.HasPrefix(got, tt.want) {
			t.Errorf("Error() = %q, want it to start %q", got, tt.want)
		}
		if !IsRateLimited(&tt.err) || RequestID(&tt.err) != "T-1" {
			t.Errorf("%q: want it rate-limited with the last attempt's request ID", tt.err.Error())
		}
	}
}
