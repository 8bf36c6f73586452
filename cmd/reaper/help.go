package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"slices"
)

// subcommands lists the subcommands of the commands that have them. `reaper COMMAND -h` prints
// them; TestHelpEveryCommand runs `-h` on each, and checks this list against the usage error a
// command gives without a subcommand, so a new subcommand cannot be left out.
var subcommands = map[string][]string{
	"report": {"list", "show", "diff"},
	"policy": {"test", "eval"},
	"state":  {"check", "backup", "reset", "accept-clock", "migrate"},
}

// isHelpFlag reports whether arg asks for help, as the flag package understands it.
func isHelpFlag(arg string) bool {
	return slices.Contains([]string{"-h", "--h", "-help", "--help"}, arg)
}

// commandHelp handles `reaper COMMAND -h` for a command with subcommands, and `reaper help
// COMMAND`, before the command runs: help goes to stdout and exits 0, and no config is read. ok is
// false when args do not ask for that help; `reaper COMMAND SUB -h` is answered by SUB's flags
// (see flagOutput).
func commandHelp(env Env, c command, args []string) (code int, ok bool) {
	subs := subcommands[c.name]
	if len(args) == 0 || !isHelpFlag(args[0]) || len(subs) == 0 {
		return 0, false
	}
	fmt.Fprintf(env.Stdout, "Usage: reaper %s SUBCOMMAND [flags]\n\n%s\n\nSubcommands:\n", c.name, c.usage)
	for _, s := range subs {
		fmt.Fprintf(env.Stdout, "  %s\n", s)
	}
	fmt.Fprintf(env.Stdout, "\nRun `reaper %s SUBCOMMAND -h` for its flags.\n", c.name)
	return exitOK, true
}

// helpTopic runs `reaper help COMMAND [SUBCOMMAND]` as `reaper COMMAND [SUBCOMMAND] -h`.
func helpTopic(args []string) []string {
	return append(slices.Clone(args), "-h")
}

// flagOutput is the output of a command's flag set. While the flags are parsed it holds what the
// flag package writes; parse then sends it to stdout when help was asked for (exit 0) and to
// stderr for a usage error. Anything written later goes to stderr.
type flagOutput struct {
	stdout, stderr io.Writer
	buf            *bytes.Buffer
}

func (o *flagOutput) Write(p []byte) (int, error) {
	if o.buf != nil {
		return o.buf.Write(p)
	}
	return o.stderr.Write(p)
}

// parseFlags runs fs.Parse(args), routing the flag package's output by the result: help to
// stdout, errors to stderr.
func parseFlags(fs *flag.FlagSet, args []string) error {
	o, ok := fs.Output().(*flagOutput)
	if !ok {
		return fs.Parse(args)
	}
	o.buf = new(bytes.Buffer)
	err := fs.Parse(args)
	held := o.buf
	o.buf = nil
	w := o.stderr
	if err == flag.ErrHelp {
		w = o.stdout
	}
	_, _ = held.WriteTo(w)
	return err
}
