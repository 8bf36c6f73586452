package zensim

import (
	"net/http"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	h := newHarness(t)
	h.sim.SetRateLimit(2, 3)
	for i := range 3 {
		if status, raw := h.call("DescribeInstances", map[string]any{}); status != http.StatusOK {
			t.Fatalf("burst call %d: %d %s", i+1, status, raw)
		}
	}
	h.fail("DescribeInstances", map[string]any{}, http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED")

	h.clock.Advance(time.Hour) // the simulator clock does not refill the bucket
	h.fail("DescribeInstances", map[string]any{}, http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED")

	h.rate.Advance(500 * time.Millisecond) // one token at 2/s
	h.describe(map[string]any{})
	h.fail("DescribeInstances", map[string]any{}, http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED")

	h.rate.Advance(time.Hour) // refills to the burst, not beyond
	for range 3 {
		h.describe(map[string]any{})
	}
	h.fail("DescribeInstances", map[string]any{}, http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED")

	h.sim.SetRateLimit(0, 0)
	for range 10 {
		h.describe(map[string]any{})
	}
}

func TestRateLimitIgnoresUnauthenticated(t *testing.T) {
	h := newHarness(t)
	h.sim.SetRateLimit(1, 1)
	r := h.newAPIRequest("DescribeInstances", []byte(`{}`))
	status, raw := h.do(r) // no credentials: refused before the bucket
	checkError(t, status, raw, http.StatusUnauthorized, "AUTHFAILURE_SIGNATURE_FAILURE")
	h.describe(map[string]any{})
}

func TestTokenBucket(t *testing.T) {
	start := time.Unix(1000, 0)
	b := &tokenBucket{rate: 10, burst: 1, tokens: 1, last: start}
	if !b.take(start) || b.take(start) {
		t.Fatal("burst of 1 must admit exactly one call at once")
	}
	if b.take(start.Add(50 * time.Millisecond)) {
		t.Fatal("half a token admitted a call")
	}
	if !b.take(start.Add(100 * time.Millisecond)) {
		t.Fatal("a full token did not admit a call")
	}
	if b.take(start.Add(-time.Second)) {
		t.Fatal("a clock going backwards must not add tokens")
	}
}

// TestRateLimitRetryAfter: Retry-After is absent unless Options.RetryAfter (the reference does not
// say the API sends it); with it, a 429 says how many whole seconds until a token is back.
func TestRateLimitRetryAfter(t *testing.T) {
	retryAfter := func(h *harness) string {
		t.Helper()
		b := []byte(`{}`)
		req := h.newAPIRequest("DescribeInstances", b)
		sign(req, b, testKeyID, testSecret, h.clock.Now())
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", resp.StatusCode)
		}
		return resp.Header.Get("Retry-After")
	}
	off := newHarness(t)
	off.sim.SetRateLimit(0.25, 1)
	off.describe(map[string]any{})
	if got := retryAfter(off); got != "" {
		t.Errorf("Retry-After %q without Options.RetryAfter, want none", got)
	}
	on := newHarness(t, func(o *Options) { o.RetryAfter = true })
	on.sim.SetRateLimit(0.25, 1) // a token every 4 s
	on.describe(map[string]any{})
	if got := retryAfter(on); got != "4" {
		t.Errorf("Retry-After %q right after the last token, want 4", got)
	}
	on.rate.Advance(2500 * time.Millisecond)
	if got := retryAfter(on); got != "2" {
		t.Errorf("Retry-After %q 2.5 s later, want 2 (1.5 s rounded up)", got)
	}
	on.rate.Advance(1400 * time.Millisecond)
	if got := retryAfter(on); got != "1" {
		t.Errorf("Retry-After %q 0.1 s before the token, want 1", got)
	}
}
