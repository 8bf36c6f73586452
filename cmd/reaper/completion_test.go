package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCompletionScripts: `reaper completion bash|zsh|fish` writes a script that names reaper and
// the __complete command it asks for candidates, and that its shell parses. bash is required;
// zsh and fish are checked when they are installed.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			r := reaper(t, "completion", shell)
			if r.code != exitOK || r.stderr != "" || len(r.stdout) < 1000 {
				t.Fatalf("code %d, stderr %q, %d bytes; want 0 and a script", r.code, r.stderr, len(r.stdout))
			}
			for _, want := range []string{"reaper", "__complete"} {
				if !strings.Contains(r.stdout, want) {
					t.Fatalf("the %s script does not name %q", shell, want)
				}
			}
			file := filepath.Join(t.TempDir(), "reaper."+shell)
			if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
				t.Fatal(err)
			}
			bin, err := exec.LookPath(shell)
			if err != nil {
				if shell == "bash" {
					t.Fatal("bash is not installed: the bash script cannot be checked")
				}
				t.Logf("%s is not installed: its script's syntax is not checked", shell)
				return
			}
			if out, err := exec.Command(bin, "-n", file).CombinedOutput(); err != nil {
				t.Fatalf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
}

// TestCompletionCandidates: the scripts ask `reaper __complete WORDS...` for candidates; it names
// every command, every subcommand of a group, the flags of a command and the values of --format.
func TestCompletionCandidates(t *testing.T) {
	var top []string
	for _, c := range commandTree(t) {
		if c.HasParent() && !c.Parent().HasParent() && c.IsAvailableCommand() {
			top = append(top, c.Name())
		}
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{""}, top},
		{[]string{"report", ""}, []string{"list", "show", "diff"}},
		{[]string{"state", ""}, []string{"check", "backup", "reset", "accept-clock"}},
		{[]string{"policy", ""}, []string{"test", "eval"}},
		{[]string{"plan", "--"}, []string{"--config", "--out", "--report-dir", "--detailed-exitcode"}},
		{[]string{"state", "reset", "--"}, []string{"--yes", "--config", "--dir"}},
		{[]string{"inventory", "--format", ""}, []string{"table", "json", "fleet"}},
		{[]string{"report", "show", "latest", "--format", ""}, []string{"text", "md", "json", "csv", "html"}},
		{[]string{"help", "st"}, []string{"state"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := reaper(t, append([]string{"__complete"}, tt.args...)...)
			if r.code != exitOK {
				t.Fatalf("code %d, stderr %q", r.code, r.stderr)
			}
			got := map[string]bool{}
			for line := range strings.Lines(r.stdout) {
				name, _, _ := strings.Cut(strings.TrimSpace(line), "\t")
				got[name] = true
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("candidates lack %q:\n%s", w, r.stdout)
				}
			}
		})
	}
	if len(top) < 10 {
		t.Fatalf("only %d top-level commands: %q", len(top), top)
	}
}

// TestCompletionHelperProcess is not a test: TestBashCompletes runs the test binary as reaper
// through it (the pattern of os/exec's own tests). It returns at once in a normal test run.
func TestCompletionHelperProcess(t *testing.T) {
	if os.Getenv("REAPER_COMPLETION_HELPER") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(Main(context.Background(), Env{Args: args, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}

// TestBashCompletes loads the bash script into bash and completes command lines with it, as the
// shell does on Tab, against this package's code (the test binary stands in for reaper). The
// script needs _get_comp_words_by_ref from the bash-completion package; without that package a
// minimal stand-in for it is defined.
func TestBashCompletes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is not installed")
	}
	dir, script := completionStub(t, "bash")
	tests := []struct {
		line string
		want []string
	}{
		{"reaper rep", []string{"report"}},
		{"reaper report ", []string{"list", "show", "diff"}},
		{"reaper state re", []string{"reset"}},
		{"reaper inventory --format ", []string{"table", "json", "fleet"}},
		{"reaper report show latest --format h", []string{"html"}},
		{"reaper plan --detailed", []string{"--detailed-exitcode"}},
		{"reaper completion ", []string{"bash", "zsh", "fish"}},
	}
	const prelude = `
[ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
if ! declare -F _get_comp_words_by_ref >/dev/null; then
	_get_comp_words_by_ref() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
compopt() { :; }
. "$SCRIPT"
read -ra COMP_WORDS <<<"$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE=$LINE; COMP_POINT=${#LINE}; COMP_TYPE=9
__start_reaper
printf '%s\n' "${COMPREPLY[@]}"
`
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prelude)
			cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "REAPER_COMPLETION_HELPER=1",
				"SCRIPT="+script, "LINE="+tt.line)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			var got []string
			for l := range strings.Lines(string(out)) {
				if l = strings.TrimSpace(l); l != "" {
					got = append(got, l)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Fatalf("%q completes to %q, want %q", tt.line, got, want)
			}
		})
	}
}

// completionStub writes the completion script for shell and a `reaper` on PATH that runs this
// package's code (see TestCompletionHelperProcess) into a new directory.
func completionStub(t *testing.T, shell string) (dir, script string) {
	t.Helper()
	dir = t.TempDir()
	script = filepath.Join(dir, "reaper."+shell)
	if r := reaper(t, "completion", shell); r.code != exitOK {
		t.Fatalf("completion %s: code %d, %q", shell, r.code, r.stderr)
	} else if err := os.WriteFile(script, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	stub := "#!/bin/sh\nexec " + shellQuote(self) + " -test.run='^TestCompletionHelperProcess$' -- \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "reaper"), []byte(stub), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir, script
}

// TestFishCompletes completes command lines with the fish script in fish (complete -C), when fish
// is installed.
func TestFishCompletes(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Log("fish is not installed: its script is not exercised")
		return
	}
	dir, script := completionStub(t, "fish")
	tests := []struct {
		line string
		want []string
	}{
		{"reaper report ", []string{"list", "show", "diff"}},
		{"reaper inventory --format ", []string{"table", "json", "fleet"}},
		{"reaper state acc", []string{"accept-clock"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cmd := exec.Command(fish, "--no-config", "-c", `source $SCRIPT; complete -C "$LINE"`)
			cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "REAPER_COMPLETION_HELPER=1",
				"SCRIPT="+script, "LINE="+tt.line)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, out)
			}
			var got []string
			for l := range strings.Lines(string(out)) {
				if name, _, _ := strings.Cut(strings.TrimSpace(l), "\t"); name != "" {
					got = append(got, name)
				}
			}
			slices.Sort(got)
			if want := slices.Sorted(slices.Values(tt.want)); !slices.Equal(got, want) {
				t.Fatalf("%q completes to %q, want %q", tt.line, got, want)
			}
		})
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
