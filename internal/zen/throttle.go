package zen

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// How the client answers throttling (HTTP 429 or REQUEST_LIMIT_EXCEEDED, zenlayer-bmc-api.md §8).
// The official SDKs retry a throttled call 3 times after 1, 2 and 4 seconds; a throttled retry here
// never waits less than that schedule (base·2^(n-1), see WithRetry), plus up to half again of
// jitter so that concurrent callers do not return together. When the answer carries a Retry-After
// header (the reference does not say the API sends one, so its absence is normal), the wait is at
// least that long.
const (
	// maxRetryAfter is the longest Retry-After the client waits for; a longer one fails the call
	// at once, as does one that would outlast the call's context.
	maxRetryAfter = 5 * time.Minute
	// rateFloorDivisor bounds how far throttling lowers the rate: to the configured rate / 16.
	rateFloorDivisor = 16
	// recoverySteps: each successful call raises the rate by configured/recoverySteps, or by a
	// quarter of that near the rate that was last throttled (from 3/4 of it to 9/8 of it), where
	// the account's limit probably is: the client gets back to about that rate quickly and then
	// probes past it slowly, so it is throttled again rarely.
	recoverySteps  = 20
	slowRecovery   = 4
	nearLimitBelow = 0.75
	nearLimitAbove = 1.125
)

// adaptiveRate lowers the rate of the client's limiter when the API throttles and raises it again
// as calls succeed (additive increase, multiplicative decrease): halve on a throttled answer, add
// 1/20 of the configured rate per successful call (1/80 near the rate last throttled), never above
// the configured rate nor below 1/16 of it. Throttled answers to requests sent before the last
// decrease do not decrease it again, so a burst of concurrent 429s halves the rate once. With no
// configured limit it does nothing.
type adaptiveRate struct {
	limiter    *rate.Limiter
	now        func() time.Time
	configured rate.Limit
	log        *slog.Logger

	mu        sync.Mutex
	epoch     uint64     // counts decreases
	limitSeen rate.Limit // the rate of the last decrease: about the account's limit; 0 before any
}

// current returns the decrease count to hand back to throttled with the answer of a request sent
// now.
func (a *adaptiveRate) current() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.epoch
}

// throttled halves the rate, unless the throttled request was sent before the last decrease.
func (a *adaptiveRate) throttled(sentAt uint64) {
	if a.configured == rate.Inf {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if sentAt != a.epoch {
		return
	}
	lim := max(a.limiter.Limit()/2, a.configured/rateFloorDivisor)
	if lim == a.limiter.Limit() {
		return
	}
	a.epoch++
	a.limitSeen = a.limiter.Limit()
	a.limiter.SetLimitAt(a.now(), lim)
	a.log.Warn("zenlayer api throttles: lowering the request rate", "requests_per_second", float64(lim),
		"configured_requests_per_second", float64(a.configured))
}

// succeeded raises the rate by one step towards the configured rate.
func (a *adaptiveRate) succeeded() {
	if a.configured == rate.Inf {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.limiter.Limit()
	if cur >= a.configured {
		return
	}
	step := a.configured / recoverySteps
	if cur >= a.limitSeen*nearLimitBelow && cur < a.limitSeen*nearLimitAbove {
		step /= slowRecovery
	}
	lim := min(a.configured, cur+step)
	a.limiter.SetLimitAt(a.now(), lim)
	if lim == a.configured {
		a.log.Info("zenlayer request rate recovered", "requests_per_second", float64(lim))
	}
}

// observe feeds an attempt's outcome to the adaptive rate.
func (a *adaptiveRate) observe(sentAt uint64, err error) {
	switch {
	case err == nil:
		a.succeeded()
	case IsRateLimited(err):
		a.throttled(sentAt)
	}
}

// retryAfterError carries the Retry-After of a non-200 answer alongside its error.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// LogValue logs the wrapped error as it would log itself.
func (e *retryAfterError) LogValue() slog.Value {
	if lv, ok := e.err.(slog.LogValuer); ok {
		return lv.LogValue()
	}
	return slog.StringValue(e.err.Error())
}

// withRetryAfter attaches the answer's Retry-After (delay seconds or an HTTP date, read against
// now) to err; a missing, malformed or past value leaves err as it is.
func withRetryAfter(err error, h http.Header, now time.Time) error {
	d, ok := parseRetryAfter(h.Get("Retry-After"), now)
	if !ok || err == nil {
		return err
	}
	return &retryAfterError{err: err, after: d}
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil || !t.After(now) {
		return 0, false
	}
	return t.Sub(now), true
}

// retryAfterOf returns the Retry-After attached to err, if any.
func retryAfterOf(err error) (time.Duration, bool) {
	for e := err; e != nil; {
		if ra, ok := e.(*retryAfterError); ok {
			return ra.after, true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return 0, false
		}
		e = u.Unwrap()
	}
	return 0, false
}

// retryWait is the wait before retry n (n >= 1) of a call whose attempt n failed with err:
// full jitter up to the capped backoff for server and network failures; for throttling at least
// the SDKs' schedule (see the constants above) and at least the answer's Retry-After. It fails
// when the Retry-After is longer than maxRetryAfter or than what is left of ctx.
func (c *Client) retryWait(ctx context.Context, n int, err error) (time.Duration, error) {
	ceiling := c.retry.ceiling(n)
	if !IsRateLimited(err) {
		return c.jitter(ceiling), nil
	}
	wait := ceiling + c.jitter(ceiling/2)
	after, ok := retryAfterOf(err)
	if !ok {
		return wait, nil
	}
	if after > maxRetryAfter {
		return 0, fmt.Errorf("the API asks to retry after %s, more than the %s the client waits", after, maxRetryAfter)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < after {
		return 0, fmt.Errorf("the API asks to retry after %s, beyond the call's deadline", after)
	}
	return max(wait, after), nil
}

// newAdaptiveRate ties an adaptiveRate to the client's limiter.
func newAdaptiveRate(l *rate.Limiter, now func() time.Time, log *slog.Logger) *adaptiveRate {
	return &adaptiveRate{limiter: l, now: now, configured: l.Limit(), log: log}
}
