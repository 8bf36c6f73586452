package scheduler

import "time"

// Clock is the time source of a Runner. The system clock is used when
// Options.Clock is nil; tests use FakeClock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// stoppableClock is implemented by the clocks of this package. Its timers can
// be released early, so an abandoned wait does not linger (on FakeClock it
// would otherwise still count as a waiter).
type stoppableClock interface {
	timer(d time.Duration) (<-chan time.Time, func())
}

// systemClock is the real clock.
type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (systemClock) timer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// startTimer returns a channel that fires after d on c, and a function that
// releases the timer when it is no longer needed.
func startTimer(c Clock, d time.Duration) (<-chan time.Time, func()) {
	if sc, ok := c.(stoppableClock); ok {
		return sc.timer(d)
	}
	return c.After(d), func() {}
}
