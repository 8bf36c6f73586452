// Command reaper is a policy-driven reconciliation daemon for Zenlayer Bare Metal Cloud: on a
// schedule it lists instances, evaluates Rego policies to choose termination candidates, skips
// everything that must not or cannot be terminated, and calls TerminateInstance. Dry-run is the
// default. `reaper help` lists the commands.
//
// main only turns the operating system into values (arguments, environment, standard streams, a
// signal context and a reload channel) and calls Main, which returns the exit code.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // bastions may lack tzdata; schedules name IANA zones

	"github.com/reaper-bmc/reaper/internal/safego"
)

// Set by the linker (see the Makefile).
var (
	version = "dev"
	commit  = "none"
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		followLiveHeap(defaultMemoryLimit) // see memlimit.go; GOMEMLIMIT sets a fixed limit instead
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	safego.Go("signal handler", func() {
		<-stop
		cancel() // first signal: stop scheduling, finish what is in flight
		<-stop
		os.Exit(130) // second signal: exit at once
	}, internalError)

	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	safego.Go("reload signal handler", func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}, internalError)

	os.Exit(Main(ctx, Env{
		Args:       os.Args[1:],
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		Reload:     reload,
		Executable: executablePath(),
	}))
}

// internalError ends the process after a panic in one of main's own goroutines: exit 1, never
// Go's exit 2 (see contain).
func internalError(err error) {
	fmt.Fprintf(os.Stderr, "reaper: %v\n", err)
	os.Exit(exitFailure)
}

// executablePath is the running binary's absolute path, or "" when the OS cannot say.
func executablePath() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}
