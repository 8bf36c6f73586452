package main

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"github.com/spf13/pflag"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/scheduler"
)

// defaultEvalTimeout bounds `policy eval`; `policy test` and `validate` bound each Rego test by
// policy.DefaultTestTimeout. Each command has a --timeout flag.
const defaultEvalTimeout = 10 * time.Second

// timeoutFlag adds --timeout to a command that evaluates policies.
func timeoutFlag(fs *pflag.FlagSet, p *time.Duration, def time.Duration, what string) {
	fs.DurationVar(p, "timeout", def, what)
}

// withDeadline bounds ctx by d (none when d <= 0). The cause names the setting or flag that
// set the deadline, so an error that quotes it says what to change.
func withDeadline(ctx context.Context, d time.Duration, setting string) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("%s of %s passed: %w", setting, d, context.DeadlineExceeded))
}

// cycleDeadline is the bound of a single cycle (run --once, plan): cycle_timeout, or, when that
// is 0, 80% of the shortest interval of the schedule, as for the daemon's cycles.
func cycleDeadline(cfg *config.Config, now time.Time) (time.Duration, error) {
	s, err := scheduler.Parse(cfg.Schedule, cfg.Timezone)
	if err != nil {
		return 0, fmt.Errorf("schedule: %w", err)
	}
	return scheduler.CycleTimeout(s, cfg.CycleTimeout.D(), now), nil
}

// policyMemoryLimit is the heap size at which policy evaluation stops: policy.DefaultMemoryLimit
// (1 GiB), or four times the Go soft memory limit (GOMEMLIMIT) when that is larger, so that a
// limit raised for a large fleet raises this one too.
func policyMemoryLimit() uint64 {
	soft := debug.SetMemoryLimit(-1)
	if soft <= 0 || soft >= math.MaxInt64/4 {
		return policy.DefaultMemoryLimit
	}
	return max(policy.DefaultMemoryLimit, uint64(soft)*4)
}
