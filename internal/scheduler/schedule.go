package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// minIntervalRuns is how many upcoming runs MinInterval looks at.
const minIntervalRuns = 50

// parser accepts standard 5-field specs and descriptors, without seconds.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseError is returned by Parse. Key is the config key at fault
// ("schedule" or "timezone") and Value the rejected value.
type ParseError struct {
	Key   string
	Value string
	Err   error
}

// Error names the key and the bad value.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Key, e.Value, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// Schedule is a parsed cron schedule bound to a time zone. The zero Schedule
// never runs.
type Schedule struct {
	spec     string
	timezone string
	sched    cron.Schedule
}

// Parse parses a 5-field cron spec or a descriptor ("@hourly", "@daily",
// "@every 10m", ...) evaluated in the named IANA time zone ("" means UTC).
// Time zone prefixes inside the spec (CRON_TZ=, TZ=) are rejected: the
// timezone key is the one place for it.
func Parse(spec, timezone string) (Schedule, error) {
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return Schedule{}, &ParseError{Key: "timezone", Value: timezone, Err: errors.New("unknown time zone")}
	}
	trimmed := strings.TrimSpace(spec)
	if strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ=") {
		return Schedule{}, &ParseError{Key: "schedule", Value: spec, Err: errors.New("time zone prefix not allowed; use the timezone key")}
	}
	sched, err := parser.Parse(trimmed)
	if err != nil {
		return Schedule{}, &ParseError{Key: "schedule", Value: spec, Err: err}
	}
	if s, ok := sched.(*cron.SpecSchedule); ok {
		s.Location = loc
	}
	s := Schedule{spec: trimmed, timezone: loc.String(), sched: sched}
	if s.Next(time.Now()).IsZero() {
		return Schedule{}, &ParseError{Key: "schedule", Value: spec, Err: errors.New("never runs")}
	}
	return s, nil
}

// MustParse is like Parse but panics on error. It is meant for tests and
// constant specs.
func MustParse(spec, timezone string) Schedule {
	s, err := Parse(spec, timezone)
	if err != nil {
		panic(err)
	}
	return s
}

// Next returns the first run strictly after t, in t's location, or the zero
// time if there is none.
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	return s.sched.Next(t)
}

// MinInterval returns the shortest gap between consecutive runs among the
// next 50 runs after from, or 0 if the schedule has fewer than two runs.
// The cycle timeout is derived from it.
func (s Schedule) MinInterval(from time.Time) time.Duration {
	var minGap time.Duration
	prev := s.Next(from)
	for i := 1; i < minIntervalRuns && !prev.IsZero(); i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(prev); minGap == 0 || gap < minGap {
			minGap = gap
		}
		prev = next
	}
	return minGap
}

// String returns the spec and time zone, for logs.
func (s Schedule) String() string {
	if s.sched == nil {
		return ""
	}
	return s.spec + " (" + s.timezone + ")"
}
