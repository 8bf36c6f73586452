package main

import (
	"os"
	"os/exec"
	"path/filepath"
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
		{[]string{"plan", "--"}, []string{"--config", "--out", "--detailed-exitcode"}},
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
