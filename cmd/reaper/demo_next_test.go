package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemoNextStepsWork: the commands the demo suggests at its end name the binary that ran (its
// real path, not a bare "reaper" that may not be on PATH) and work once the demo's simulator has
// stopped: each one, run as printed, exits 0.
func TestDemoNextStepsWork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	const exe = "/opt/tools/bin/reaper"
	var out, errOut syncBuffer
	code := Main(context.Background(), Env{
		Args: []string{"demo", "--dir", dir}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" }, IsTTY: func() bool { return false }, Executable: exe,
	})
	if code != exitOK {
		t.Fatalf("demo: exit %d, stderr: %s", code, errOut.String())
	}
	steps := regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(out.String()[strings.Index(out.String(), "Next:"):], -1)
	if len(steps) < 2 {
		t.Fatalf("want at least two next steps after \"Next:\", got %q", out.String())
	}
	for _, step := range steps {
		args := strings.Fields(step[1])
		if args[0] != exe {
			t.Errorf("next step %q does not start with the binary's path %s", step[1], exe)
			continue
		}
		if r := reaper(t, args[1:]...); r.code != exitOK {
			t.Errorf("next step %q: exit %d, stderr: %s", step[1], r.code, r.stderr)
		}
	}
}
