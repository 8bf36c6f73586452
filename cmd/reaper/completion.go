package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// completionShells are the shells `reaper completion` writes a script for, and how.
var completionShells = map[string]func(root *cobra.Command, w io.Writer) error{
	"bash": func(root *cobra.Command, w io.Writer) error { return root.GenBashCompletionV2(w, true) },
	"zsh":  func(root *cobra.Command, w io.Writer) error { return root.GenZshCompletion(w) },
	"fish": func(root *cobra.Command, w io.Writer) error { return root.GenFishCompletion(w, true) },
}

// completionCommand is `reaper completion bash|zsh|fish` (it replaces cobra's default command,
// which also offers PowerShell). The scripts are cobra's: they ask `reaper __complete WORDS...`
// for the candidates, so they follow the commands and flags of the binary they call.
func completionCommand(cl *cli) *cobra.Command {
	c := &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "print the shell completion script for bash, zsh or fish",
		Long: "Print the shell completion script for bash, zsh or fish on stdout. To install it for all\n" +
			"users (as the Debian package does):\n\n" +
			"  reaper completion bash > /usr/share/bash-completion/completions/reaper\n" +
			"  reaper completion zsh  > /usr/share/zsh/vendor-completions/_reaper\n" +
			"  reaper completion fish > /usr/share/fish/vendor_completions.d/reaper.fish\n\n" +
			"or for the current shell only: source <(reaper completion bash), or\n" +
			"source <(reaper completion zsh) after compinit, or reaper completion fish | source.\n" +
			"The bash script needs the bash-completion package.",
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      wantArgs("bash|zsh|fish"),
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		return cl.run(func(_ context.Context, env Env, args []string) int {
			gen, ok := completionShells[args[0]]
			if !ok {
				return usageErr(env, "completion: unknown shell %q (bash, zsh or fish)", args[0])
			}
			if err := gen(cmd.Root(), env.Stdout); err != nil {
				return fail(env, fmt.Errorf("completion: %w", err))
			}
			return exitOK
		})(cmd, args)
	}
	return c
}
