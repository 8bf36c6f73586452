package zen

import "time"

// SetJitter replaces the client's backoff jitter (for the external tests of package zen_test).
func SetJitter(c *Client, f func(ceiling time.Duration) time.Duration) { c.jitter = f }
