package zensim

import "time"

// tokenBucket admits rate requests per second with bursts up to burst, on the RateClock.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// wait is how long until the bucket holds a whole token.
func (b *tokenBucket) wait() time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

func (b *tokenBucket) take(now time.Time) bool {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// SetRateLimit throttles every authenticated call with a token bucket of rps tokens per second and
// burst capacity (at least 1), starting full, timed by Options.RateClock. Throttled calls get
// 429 REQUEST_LIMIT_EXCEEDED (with Retry-After when Options.RetryAfter). rps <= 0 disables the
// limit.
func (s *Server) SetRateLimit(rps float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rps <= 0 {
		s.bucket = nil
		return
	}
	b := float64(max(burst, 1))
	s.bucket = &tokenBucket{rate: rps, burst: b, tokens: b, last: s.opts.RateClock()}
}
