package zen

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRetryGiveUpErrorsSayItOnce: however a retried call ends without success (attempts used up,
// cancelled after an attempt, a retry wait interrupted, a Retry-After too long), its error names
// the package and the action once and keeps both the attempt's error and the reason it stopped.
func TestRetryGiveUpErrorsSayItOnce(t *testing.T) {
	unavailable := func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		apiErr(t, w, http.StatusServiceUnavailable, CodeServiceTemporarilyUnavailable, "T-503")
	}
	for _, tc := range []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request, req apiRequest)
		opts   func(cancel context.CancelFunc) []Option
		stop   string // what the message says about why retrying stopped
	}{
		{name: "attempts used up", handle: unavailable, stop: "gave up after 4 attempts"},
		{name: "cancelled after an attempt", handle: unavailable, stop: "context canceled",
			opts: func(cancel context.CancelFunc) []Option {
				return []Option{WithObserver(func(string, string, time.Duration) { cancel() })}
			}},
		{name: "retry wait interrupted", handle: unavailable, stop: "interrupted",
			opts: func(context.CancelFunc) []Option {
				return []Option{WithSleep(func(context.Context, time.Duration) error { return errors.New("interrupted") })}
			}},
		{name: "Retry-After too long", stop: "more than the 5m0s the client waits",
			handle: func(w http.ResponseWriter, r *http.Request, req apiRequest) {
				w.Header().Set("Retry-After", "3600")
				apiErr(t, w, http.StatusTooManyRequests, CodeRequestLimitExceeded, "T-429")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, tc.handle)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var opts []Option
			if tc.opts != nil {
				opts = tc.opts(cancel)
			}
			_, err := newTestClient(t, f, opts...).TerminateInstance(ctx, "1")
			if err == nil {
				t.Fatal("TerminateInstance succeeded, want an error")
			}
			msg := err.Error()
			if n := strings.Count(msg, actionTerminateInstance); n != 1 {
				t.Errorf("%q names %s %d times, want once", msg, actionTerminateInstance, n)
			}
			if !strings.Contains(msg, tc.stop) || RequestID(err) == "" {
				t.Errorf("%q: want it to say %q and keep the API error (request ID %q)", msg, tc.stop, RequestID(err))
			}
			seen := map[string]bool{}
			for seg := range strings.SplitSeq(msg, ": ") {
				if seen[seg] {
					t.Errorf("%q repeats %q", msg, seg)
				}
				seen[seg] = true
			}
		})
	}
}
