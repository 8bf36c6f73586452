package zen

import "time"

// SetJitter replaces the client's backoff jitter (for the external tests of package zen_test).
func SetJitter(c *Client, f func(ceiling time.Duration) time.Duration) { c.jitter = f }

// SetLimiterClock replaces the clock of the client's rate limiter (for the external tests).
func SetLimiterClock(c *Client, now func() time.Time) { c.limiterNow = now }

// RequestRate is the client's current request rate, as throttling has adapted it.
func RequestRate(c *Client) float64 { return float64(c.limiter.Limit()) }
