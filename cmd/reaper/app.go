package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/scheduler"
)

// Exit codes (DESIGN.md §3).
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

type command struct {
	name, usage string
	run         func(ctx context.Context, env Env, args []string) int
}

func commands() []command {
	return []command{
		{"run", "run the daemon on its schedule (--once: one cycle and exit)", cmdRun},
		{"plan", "one cycle that never acts; writes the report and prints a summary", cmdPlan},
		{"inventory", "list the fleet as reaper sees it (table, json, or a simulator fleet file)", cmdInventory},
		{"report", "read past reports: list, show RUN, diff RUN1 RUN2", cmdReport},
		{"validate", "check config, schedule and policies (compile and tests); no network", cmdValidate},
		{"policy", "policy test [DIR...] | policy eval --instance FILE", cmdPolicy},
		{"sim", "run the Zenlayer simulator on loopback", cmdSim},
		{"demo", "simulator + sample fleet + plan: the newcomer's first command", cmdDemo},
		{"state", "state check | backup FILE | reset --yes | accept-clock --yes", cmdState},
		{"version", "print version, commit, Go and OPA versions", cmdVersion},
	}
}

// Main runs reaper with the given environment and returns the process exit code. A panic in a
// command is reported and exits 1 (see contain).
func Main(ctx context.Context, env Env) int {
	return contain(env, func() int { return dispatch(ctx, env) })
}

// dispatch runs the command named by the first argument.
func dispatch(ctx context.Context, env Env) int {
	if len(env.Args) == 0 {
		usage(env.Stderr)
		return exitUsage
	}
	name, args := env.Args[0], env.Args[1:]
	switch {
	case name == "help" && len(args) > 0:
		name, args = args[0], helpTopic(args[1:])
	case name == "help" || isHelpFlag(name):
		usage(env.Stdout)
		return exitOK
	case name == "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			if code, ok := commandHelp(env, c, args); ok {
				return code
			}
			return c.run(ctx, env, args)
		}
	}
	fmt.Fprintf(env.Stderr, "reaper: unknown command %q\n\n", name)
	usage(env.Stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "reaper keeps Zenlayer Bare Metal Cloud fleets from bleeding money.\n\nUsage: reaper COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun `reaper COMMAND -h` (or `reaper help COMMAND`) for a command's flags; `reaper --version` prints the version. Exit codes: 0 ok, 1 failure, 2 usage, 3 blocked by a safety limit.")
}

// newFlags returns a flag set that reports errors to stderr, help to stdout (see parseFlags), and
// never exits the process.
func newFlags(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("reaper "+name, flag.ContinueOnError)
	fs.SetOutput(&flagOutput{stdout: env.Stdout, stderr: env.Stderr})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: reaper %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, which may come before, between or after positional arguments
// (`report show RUN --config F`); "--" ends the flags. ok is false when the command must return
// code (usage error or -h). The positional arguments are available as fs.Args().
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK, false
			}
			return exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	_ = fs.Parse(append([]string{"--"}, positional...))
	return 0, true
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
