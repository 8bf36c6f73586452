package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHelpEveryCommand runs -h and --help on every command and subcommand in the command table:
// help goes to stdout, exits 0, writes nothing to stderr and reads no config (the config named
// does not exist, so reading it would fail).
func TestHelpEveryCommand(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.yaml")
	env := map[string]string{"REAPER_CONFIG": missing}
	var cases [][]string
	for _, c := range commands() {
		for _, h := range []string{"-h", "--help"} {
			cases = append(cases, []string{c.name, h}, []string{"help", c.name})
			for _, sub := range subcommands[c.name] {
				cases = append(cases,
					[]string{c.name, sub, h},
					[]string{"help", c.name, sub})
			}
		}
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := reaperEnv(t, t.Context(), env, args...)
			if r.code != exitOK || r.stderr != "" || !strings.Contains(r.stdout, "Usage: reaper "+args[0]) &&
				!strings.Contains(r.stdout, "Usage: reaper "+strings.Join(args[1:2], "")) {
				t.Fatalf("code %d, stdout %q, stderr %q; want 0, usage on stdout, empty stderr", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestSubcommandTable keeps the subcommands table in step with the commands: a command that asks
// for a subcommand names exactly the ones in the table.
func TestSubcommandTable(t *testing.T) {
	for _, c := range commands() {
		if c.name == "run" || c.name == "sim" || c.name == "demo" {
			continue // these start servers or cycles when called with no arguments
		}
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"REAPER_CONFIG": filepath.Join(t.TempDir(), "absent.yaml")}
			r := reaperEnv(t, t.Context(), env, c.name)
			_, list, asks := strings.Cut(r.stderr, "needs a subcommand: ")
			if !asks {
				if subs := subcommands[c.name]; len(subs) > 0 {
					t.Fatalf("table lists subcommands %q, but `reaper %s` does not ask for one: %q", subs, c.name, r.stderr)
				}
				return
			}
			var got []string
			for alt := range strings.SplitSeq(list, " | ") {
				got = append(got, strings.Fields(alt)[0])
			}
			if want := subcommands[c.name]; !slices.Equal(got, want) {
				t.Fatalf("`reaper %s` names subcommands %q, table has %q", c.name, got, want)
			}
		})
	}
}

// TestHelpFlagErrorsStayOnStderr: a flag error is not help; it goes to stderr with exit 2.
func TestHelpFlagErrorsStayOnStderr(t *testing.T) {
	r := reaper(t, "validate", "--bogus")
	if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "Usage: reaper validate") {
		t.Fatalf("code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestVersionFlag: `reaper --version` prints what `reaper version` prints.
func TestVersionFlag(t *testing.T) {
	want, got := reaper(t, "version"), reaper(t, "--version")
	if got.code != exitOK || got.stdout != want.stdout || !strings.HasPrefix(got.stdout, "reaper ") {
		t.Fatalf("--version: code %d, %q; want 0 and %q", got.code, got.stdout, want.stdout)
	}
}
