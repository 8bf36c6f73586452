package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandTree builds the command tree as Main does, with the help command, and returns every command in it (the root first), hidden ones included.
func commandTree(t *testing.T) []*cobra.Command {
	t.Helper()
	root := newRoot(&cli{env: Env{Stdin: strings.NewReader(""), Stdout: new(strings.Builder), Stderr: new(strings.Builder)}})
	root.InitDefaultHelpCmd()
	var all []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		all = append(all, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(all) < 18 {
		t.Fatalf("the command tree has %d commands; expected every command and subcommand", len(all))
	}
	return all
}

// path is a command's words after "reaper".
func path(c *cobra.Command) []string {
	return strings.Fields(c.CommandPath())[1:]
}

// TestHelpEveryCommand runs -h, --help and `reaper help ...` on every command of the tree, so a
// new command is covered as soon as it is added: help goes to stdout with the command's usage and
// every one of its flags, exits 0, writes nothing to stderr, and reads no config. The config in
// $REAPER_CONFIG is garbage and --config names a path that does not exist, so reading either would
// fail; the context is cancelled, so a command body that ran instead would stop at once rather
// than serve; and the working directory must stay empty (demo writes .demo/ there).
func TestHelpEveryCommand(t *testing.T) {
	tmp := t.TempDir()
	garbage := filepath.Join(tmp, "garbage.yaml")
	if err := os.WriteFile(garbage, []byte("\x00{{ not yaml: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(tmp, "absent", "config.yaml")
	env := map[string]string{"REAPER_CONFIG": garbage, "CREDENTIALS_DIRECTORY": filepath.Join(tmp, "absent")}
	work := t.TempDir()
	t.Chdir(work)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	for _, c := range commandTree(t) {
		p := path(c)
		var variants [][]string
		for _, h := range []string{"-h", "--help"} {
			args := append(slices.Clone(p), h)
			if c.Flags().Lookup("config") != nil || c.InheritedFlags().Lookup("config") != nil {
				args = append(args, "--config", missing)
			}
			variants = append(variants, args)
		}
		if len(p) > 0 && p[0] != "help" {
			variants = append(variants, append([]string{"help"}, p...))
		}
		for _, args := range variants {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := reaperEnv(t, ctx, env, args...)
				if r.code != exitOK || r.stderr != "" {
					t.Fatalf("code %d, stderr %q; want 0 and nothing on stderr", r.code, r.stderr)
				}
				if !strings.Contains(r.stdout, "Usage:\n  "+c.CommandPath()) {
					t.Fatalf("stdout does not give the usage of %q:\n%s", c.CommandPath(), r.stdout)
				}
				c.LocalFlags().VisitAll(func(f *pflag.Flag) {
					if !f.Hidden && !strings.Contains(r.stdout, "--"+f.Name) {
						t.Errorf("help does not list --%s:\n%s", f.Name, r.stdout)
					}
				})
			})
		}
	}
	if entries, _ := os.ReadDir(work); len(entries) > 0 {
		t.Fatalf("help wrote into the working directory: %v", entries)
	}
}

// TestGroupsNameTheirSubcommands: a command that only holds subcommands, called without one or
// with one it does not know, is a usage error that names every subcommand.
func TestGroupsNameTheirSubcommands(t *testing.T) {
	for _, c := range commandTree(t) {
		if !c.HasAvailableSubCommands() || !c.HasParent() {
			continue // the root: see TestUsage
		}
		for _, args := range [][]string{path(c), append(path(c), "frobnicate")} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := reaper(t, args...)
				if r.code != exitUsage || r.stdout != "" {
					t.Fatalf("code %d, stdout %q; want 2 and nothing on stdout", r.code, r.stdout)
				}
				for _, sub := range c.Commands() {
					if sub.IsAvailableCommand() && !strings.Contains(r.stderr, sub.Name()) {
						t.Errorf("stderr does not name %s: %q", sub.Name(), r.stderr)
					}
				}
			})
		}
	}
}

// TestUsageErrors: a wrong command line is one message on stderr naming the problem, a pointer to
// the command's help, and exit 2; never the usage dumped, never anything on stdout.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--bogus"}, "reaper: unknown flag: --bogus\nRun 'reaper validate --help' for usage.\n"},
		{[]string{"frobnicate"}, "reaper: unknown command \"frobnicate\" for \"reaper\"\nRun 'reaper --help' for usage.\n"},
		{[]string{"plna"}, "Did you mean this?\n    plan\n"},
		{[]string{"plan", "extra"}, "reaper: plan takes no arguments, got [\"extra\"]\nRun 'reaper plan --help' for usage.\n"},
		{[]string{"report", "show"}, "reaper: report show needs RUN\nRun 'reaper report show --help' for usage.\n"},
		{[]string{"report", "diff", "a", "b", "c"}, "reaper: report diff takes only RUN1 RUN2, got [\"a\" \"b\" \"c\"]\n"},
		{[]string{"state", "backup"}, "reaper: state backup needs FILE\n"},
		{[]string{"state", "check", "--yes"}, "reaper: unknown flag: --yes\nRun 'reaper state check --help' for usage.\n"},
		{[]string{"validate", "--timeout", "soon"}, `invalid argument "soon" for "--timeout" flag`},
		{[]string{"inventory", "--config"}, "flag needs an argument: --config"},
		{[]string{"version", "extra"}, "version takes no arguments"},
		{[]string{"help", "frobnicate"}, "unknown command \"frobnicate\""},
		{[]string{"completion"}, "reaper: completion needs bash|zsh|fish\n"},
		{[]string{"completion", "powershell"}, "reaper: completion: unknown shell \"powershell\" (bash, zsh or fish)\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := reaper(t, tt.args...)
			if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.want) ||
				strings.Contains(r.stderr, "Flags:") || strings.Count(r.stderr, "reaper: ") != 1 {
				t.Fatalf("code %d, stdout %q, stderr %q; want 2, one error on stderr containing %q", r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
}

// TestRuntimeErrorNoUsage: an error while a command runs is printed once, without the usage.
func TestRuntimeErrorNoUsage(t *testing.T) {
	r := reaper(t, "report", "show", "latest", "--dir", filepath.Join(t.TempDir(), "absent"))
	if r.code != exitFailure || strings.Contains(r.stderr, "Usage:") || strings.Contains(r.stderr, "--help") ||
		strings.Count(r.stderr, "reaper: ") != 1 {
		t.Fatalf("code %d, stderr %q; want 1 and one error line", r.code, r.stderr)
	}
}

// TestGoStyleFlags: the spellings Go's flag package took (one dash before a long flag, --h) still
// work, so unit files and scripts written for earlier versions keep their meaning.
func TestGoStyleFlags(t *testing.T) {
	for _, args := range [][]string{{"-help"}, {"--h"}, {"validate", "-help"}, {"report", "show", "--h"}} {
		if r := reaper(t, args...); r.code != exitOK || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%q: code %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if want, got := reaper(t, "version"), reaper(t, "-version"); got.code != exitOK || got.stdout != want.stdout {
		t.Errorf("-version: code %d, %q", got.code, got.stdout)
	}
	dir := t.TempDir()
	r := reaper(t, "report", "list", "-dir", dir)
	if r.code != exitOK || !strings.Contains(r.stdout, "no reports in "+dir) {
		t.Errorf("report list -dir: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = reaper(t, "report", "list", "-dir="+dir)
	if r.code != exitOK || !strings.Contains(r.stdout, "no reports in "+dir) {
		t.Errorf("report list -dir=: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// After "--" nothing is rewritten, and a one-dash word that is no flag stays an error.
	if r := reaper(t, "report", "show", "--dir", dir, "--", "-dir"); r.code != exitFailure {
		t.Errorf("-- -dir: code %d, stderr %q; want the run -dir looked up (exit 1)", r.code, r.stderr)
	}
	if r := reaper(t, "validate", "-bogus"); r.code != exitUsage {
		t.Errorf("-bogus: code %d, stderr %q", r.code, r.stderr)
	}
}

// TestVersionFlag: `reaper --version` prints what `reaper version` prints.
func TestVersionFlag(t *testing.T) {
	want, got := reaper(t, "version"), reaper(t, "--version")
	if got.code != exitOK || got.stdout != want.stdout || !strings.HasPrefix(got.stdout, "reaper ") {
		t.Fatalf("--version: code %d, %q; want 0 and %q", got.code, got.stdout, want.stdout)
	}
}
