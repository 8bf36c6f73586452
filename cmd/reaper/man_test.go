package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestManPages: `reaper __gen-man DIR` (make man) writes one page per command and subcommand of
// the tree, each with a .TH header dated by SOURCE_DATE_EPOCH and every flag of its command; the
// same tree gives the same bytes; and groff and man -l render each page without a warning when
// they are installed.
func TestManPages(t *testing.T) {
	env := map[string]string{"SOURCE_DATE_EPOCH": "1767225600"} // 2026-01-01
	dir := filepath.Join(t.TempDir(), "man")
	if r := reaperEnv(t, context.Background(), env, "__gen-man", dir); r.code != exitOK || r.stderr != "" || r.stdout != "" {
		t.Fatalf("code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	var want []string
	byFile := map[string]*cobra.Command{}
	for _, c := range commandTree(t) {
		if c.IsAvailableCommand() || !c.HasParent() {
			name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
			want = append(want, name)
			byFile[name] = c
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("pages %q\nwant one per command: %q", got, want)
	}
	for _, must := range []string{"reaper.1", "reaper-report-show.1", "reaper-state-accept-clock.1", "reaper-policy-eval.1"} {
		if !slices.Contains(got, must) {
			t.Fatalf("no %s among %q", must, got)
		}
	}

	again := filepath.Join(t.TempDir(), "again")
	reaperEnv(t, context.Background(), env, "__gen-man", again)
	groff, groffErr := exec.LookPath("groff")
	man, manErr := exec.LookPath("man")
	for _, name := range got {
		t.Run(name, func(t *testing.T) {
			page, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			c := byFile[name]
			title := strings.ToUpper(strings.ReplaceAll(c.CommandPath(), " ", "-"))
			if th := `.TH "` + title + `" "1" "Jan 2026" "reaper ` + version + `" "reaper manual"`; !bytes.Contains(page, []byte(th)) {
				t.Errorf("no header %s:\n%s", th, page)
			}
			c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && !bytes.Contains(page, []byte(`\fB--`+f.Name+`\fP`)) {
					t.Errorf("the page does not document --%s", f.Name)
				}
			})
			if second, _ := os.ReadFile(filepath.Join(again, name)); !bytes.Equal(page, second) {
				t.Errorf("a second run wrote different bytes")
			}
			var renderers []*exec.Cmd
			if groffErr == nil {
				renderers = append(renderers, exec.Command(groff, "-man", "-ww", "-z", "-Tutf8", filepath.Join(dir, name)))
			}
			if manErr == nil {
				cmd := exec.Command(man, "--warnings", "-l", filepath.Join(dir, name))
				cmd.Env = append(os.Environ(), "MANPAGER=cat", "MANWIDTH=80")
				renderers = append(renderers, cmd)
			}
			if len(renderers) == 0 {
				t.Log("neither groff nor man is installed: rendering is not checked")
			}
			for _, cmd := range renderers {
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil || stderr.Len() > 0 {
					t.Errorf("%s: %v\n%s", cmd, err, stderr.String())
				}
				if cmd.Path == man && !strings.Contains(stdout.String(), "SYNOPSIS") {
					t.Errorf("man -l rendered no SYNOPSIS:\n%s", stdout.String())
				}
			}
		})
	}
}

// TestManPagesBadEpoch: a SOURCE_DATE_EPOCH that is not a number is an error naming it.
func TestManPagesBadEpoch(t *testing.T) {
	r := reaperEnv(t, context.Background(), map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, "__gen-man", t.TempDir())
	if r.code != exitFailure || !strings.Contains(r.stderr, "SOURCE_DATE_EPOCH") {
		t.Fatalf("code %d, stderr %q", r.code, r.stderr)
	}
}
