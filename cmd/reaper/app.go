package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/scheduler"
)

// Exit codes (README, Commands and exit codes).
const (
	exitOK      = 0
	exitFailure = 1 // config, auth, aborted cycle, a termination that failed unexpectedly
	exitUsage   = 2 // bad command line; also `plan --detailed-exitcode` with candidates
	exitBlocked = 3 // a safety limit blocked the cycle; nothing was terminated
)

// Env is everything Main takes from the operating system, so tests can run the whole program.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Reload receives a value for each SIGHUP.
	Reload <-chan struct{}
	// Clock is the time source: what reaper reads as now, and what the daemon's schedule waits
	// on. nil means the system clock; tests pass a scheduler.FakeClock and move it themselves.
	Clock scheduler.Clock
	// IsTTY reports whether stderr is a terminal; nil means detect.
	IsTTY func() bool
	// Executable is the path of the running binary, for commands reaper suggests; "" means
	// "reaper".
	Executable string
}

// executable is the command that runs this binary again, for suggested next steps.
func (e Env) executable() string {
	if e.Executable == "" {
		return "reaper"
	}
	return e.Executable
}

func (e Env) now() time.Time {
	if e.Clock != nil {
		return e.Clock.Now()
	}
	return time.Now()
}

// fail prints a one-line error for the user and returns exitFailure. User-facing text is printed
// here, once, inert (an error can quote fleet or API text).
func fail(env Env, err error) int {
	fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(strings.TrimSpace(err.Error())))
	return exitFailure
}

func usageErr(env Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "reaper: "+format+"\n", args...)
	return exitUsage
}
