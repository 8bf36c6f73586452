package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// contain runs a command and turns a panic into exit 1 with one clear line (and the stack, for
// the bug report). Go's own handling of an unrecovered panic exits 2, which means "usage" here
// and which the unit's RestartPreventExitStatus=2 treats as permanent: no internal failure may
// look like that.
func contain(env Env, run func() int) (code int) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(env.Stderr, "reaper: internal error: %v\n(this is a bug in reaper; please report it with the stack below)\n%s", v, debug.Stack())
			code = exitFailure
		}
	}()
	return run()
}

// printPanicStack adds, when err carries a panic contained in a goroutine, the stack for the bug
// report (the error line itself is printed by the caller).
func printPanicStack(env Env, err error) {
	var pe *safego.PanicError
	if errors.As(err, &pe) {
		fmt.Fprintf(env.Stderr, "(this is a bug in reaper; please report it with the stack below)\n%s", pe.Stack)
	}
}

// goContained runs fn for a goroutine of the daemon: a panic there is logged and stops the daemon
// with an error (exit 1), instead of killing the process with exit 2.
func goContained(log *slog.Logger, cancel context.CancelCauseFunc, name string, fn func()) func() {
	return func() {
		defer func() {
			if v := recover(); v != nil {
				log.Error("internal error", "goroutine", name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				cancel(fmt.Errorf("internal error in %s: %v", name, v))
			}
		}()
		fn()
	}
}
