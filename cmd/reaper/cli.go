package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/inert"
)

func init() {
	// Commands are listed in the order they are added (newRoot), most used first.
	cobra.EnableCommandSorting = false
}

// Main runs reaper with the given environment and returns the process exit code. A panic in a
// command is reported and exits 1 (see contain).
func Main(ctx context.Context, env Env) int {
	return contain(env, func() int { return execute(ctx, env) })
}

// cli carries what the commands share: the environment and the exit code of the command that ran.
// Every command body prints its own output and errors and returns its exit code (see run).
type cli struct {
	env  Env
	code int
}

// execute parses the command line with the command tree and runs the command. Without a
// command it prints the usage on stderr and exits 2. Help (-h, --help,
// `reaper help COMMAND`) goes to stdout and exits 0 before any command body runs, so it reads no
// config. An error from the parser (unknown command or flag, wrong arguments) is a usage error:
// one line on stderr, a pointer to the command's help, exit 2.
func execute(ctx context.Context, env Env) int {
	cl := &cli{env: env}
	root := newRoot(cl)
	if len(env.Args) == 0 {
		fmt.Fprint(env.Stderr, root.UsageString())
		return exitUsage
	}
	root.SetArgs(goStyleFlags(root, env.Args))
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		if cmd.Name() == "help" && cmd.HasParent() {
			cmd = cmd.Parent() // `reaper help frobnicate`: the command list is the help to read
		}
		// The parser's message quotes the command line (and may suggest a command on lines of
		// its own): each line inert.
		lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
		for i, l := range lines {
			lines[i] = inert.Text(strings.ReplaceAll(l, "\t", "    "))
		}
		fmt.Fprintf(env.Stderr, "reaper: %s\nRun '%s --help' for usage.\n", strings.Join(lines, "\n"), cmd.CommandPath())
		return exitUsage
	}
	return cl.code
}

// newRoot builds the command tree. A new command is one more constructor in AddCommand; a new
// subcommand is one more in its parent's group (see stateCommand). TestHelpEveryCommand walks
// this tree, so every command added here gets its help checked.
func newRoot(cl *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "reaper",
		Short: "keep Zenlayer Bare Metal Cloud fleets from bleeding money",
		Long: "reaper keeps Zenlayer Bare Metal Cloud fleets from bleeding money: on a schedule it lists the\n" +
			"instances, evaluates Rego policies to choose termination candidates, skips everything that\n" +
			"must not or cannot be terminated, and calls TerminateInstance. Dry-run is the default.\n\n" +
			"Exit codes: 0 ok, 1 failure, 2 usage, 3 blocked by a safety limit.",
		Version:           version,
		SilenceUsage:      true, // a runtime error is not a usage error
		SilenceErrors:     true, // execute prints the error, once
		DisableAutoGenTag: true, // man pages do not change with the day they are built
	}
	root.SetVersionTemplate(versionText())
	root.CompletionOptions.DisableDefaultCmd = true // see completionCommand
	root.SetIn(cl.env.Stdin)
	root.SetOut(cl.env.Stdout)
	root.SetErr(cl.env.Stderr)
	root.SetHelpCommand(helpCommand())
	root.AddCommand(
		runCommand(cl),
		planCommand(cl),
		applyCommand(cl),
		inventoryCommand(cl),
		reportCommand(cl),
		validateCommand(cl),
		policyCommand(cl),
		simCommand(cl),
		demoCommand(cl),
		stateCommand(cl),
		versionCommand(cl),
		completionCommand(cl),
		genManCommand(cl),
	)
	return root
}

// run adapts a command body to cobra. The body has the parsed flags (closed over by its
// constructor) and the positional arguments; it prints its own output and errors and returns the
// exit code.
func (cl *cli) run(body func(ctx context.Context, env Env, args []string) int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cl.code = body(cmd.Context(), cl.env, args)
		return nil
	}
}

// group returns a command that only holds subcommands (report, policy, state). Without a
// subcommand, or with one it does not know, it is a usage error that names them.
func (cl *cli) group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs}
	c.AddCommand(subs...)
	c.RunE = cl.run(func(_ context.Context, env Env, args []string) int {
		var uses, names []string
		for _, s := range c.Commands() {
			if s.IsAvailableCommand() {
				uses, names = append(uses, s.Use), append(names, s.Name())
			}
		}
		if len(args) == 0 {
			return usageErr(env, "%s needs a subcommand: %s", c.Name(), strings.Join(uses, " | "))
		}
		return usageErr(env, "unknown %s subcommand %q (%s)", c.Name(), inert.Text(args[0]), strings.Join(names, ", "))
	})
	return c
}

// wantArgs names a command's positional arguments; another count is a usage error that names
// them.
func wantArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		switch {
		case len(args) == len(names):
			return nil
		case len(names) == 0:
			return fmt.Errorf("%s takes no arguments, got %q", name, args)
		case len(args) < len(names):
			return fmt.Errorf("%s needs %s", name, strings.Join(names, " "))
		}
		return fmt.Errorf("%s takes only %s, got %q", name, strings.Join(names, " "), args)
	}
}

// goStyleFlags rewrites the flag spellings that Go's flag package accepted (reaper used it before
// cobra) into the ones cobra's parser takes, so a command line or unit file written for an
// earlier version still works: a long flag with one dash (-config F, -once, -help, -version)
// and --h. Anything else is left as it is: the parser reports it.
func goStyleFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.DisableFlagParsing {
		return args
	}
	known := func(name string) bool {
		return name == "help" || name == "version" && !cmd.HasParent() ||
			cmd.Flags().Lookup(name) != nil || cmd.PersistentFlags().Lookup(name) != nil ||
			cmd.InheritedFlags().Lookup(name) != nil
	}
	out := slices.Clone(args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if a == "--h" {
			out[i] = "-h"
			continue
		}
		if !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--") {
			continue
		}
		if name, _, _ := strings.Cut(a[1:], "="); len(name) > 1 && known(name) {
			out[i] = "-" + a
		}
	}
	return out
}

// helpCommand is `reaper help [COMMAND [SUBCOMMAND]]`: the help of that command on stdout, as
// with -h. Unlike cobra's own, it treats an unknown command as the usage error it is (exit 2).
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND [SUBCOMMAND]]",
		Short: "help about any command (the same as COMMAND --help)",
		Args:  cobra.ArbitraryArgs,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			if cmd, _, err := c.Root().Find(args); err == nil {
				for _, sub := range cmd.Commands() {
					if sub.IsAvailableCommand() && sub != c && strings.HasPrefix(sub.Name(), toComplete) {
						out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
					}
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return fmt.Errorf("unknown command %q for %q", rest[0], cmd.CommandPath())
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}
