package reconcile

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// TestVocabularyListsAreComplete parses this package's source: every constant named Action*,
// Status*, Skip*, Limit* or Command* must be in its list (Actions, Statuses, ...), once, so that
// the packages that iterate the lists (report, metrics, record) see a new word the day it is added.
func TestVocabularyListsAreComplete(t *testing.T) {
	declared := declaredConstants(t)
	lists := map[string][]string{
		"Action":  strs(Actions()),
		"Status":  strs(Statuses()),
		"Skip":    SkipReasons(),
		"Limit":   Limits(),
		"Command": Commands(),
	}
	for prefix, list := range lists {
		var want []string
		for name, value := range declared {
			if strings.HasPrefix(name, prefix) {
				want = append(want, value)
			}
		}
		if len(want) == 0 {
			t.Fatalf("no constants named %s* found: the test reads the wrong files", prefix)
		}
		got := slices.Clone(list)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s list = %v, constants declared = %v", prefix, got, want)
		}
	}
}

// declaredConstants maps each string constant of the package (tests excluded) to its value.
func declaredConstants(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[name.Name] = v
				}
			}
		}
	}
	return out
}

func strs[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func TestActionsListedOnce(t *testing.T) {
	seen := map[Action]bool{}
	for _, a := range Actions() {
		if seen[a] {
			t.Errorf("action %q listed twice", a)
		}
		seen[a] = true
	}
}

// TestPermit pins README, Modes: each mode includes everything of the one before, --dry-run
// takes everything away, a plan does nothing in any mode, and an unknown mode is dry-run.
func TestPermit(t *testing.T) {
	none := func(m string) Permissions { return Permissions{Mode: m} }
	marks := func(m string) Permissions { return Permissions{Mode: m, Tags: true, Notices: true} }
	tests := []struct {
		mode    string
		forced  bool
		command string
		want    Permissions
	}{
		{ModeDryRun, false, CommandRun, none(ModeDryRun)},
		{ModeMark, false, CommandRun, marks(ModeMark)},
		{ModeApprove, false, CommandRun, marks(ModeApprove)},
		{ModeEnforce, false, CommandRun, Permissions{Mode: ModeEnforce, Tags: true, Notices: true, Terminate: true}},
		{"", false, CommandRun, none(ModeDryRun)},
		{"Enforce", false, CommandRun, none(ModeDryRun)},
		{"bogus", false, CommandRun, none(ModeDryRun)},
		{ModeMark, true, CommandRun, none(ModeDryRun)},
		{ModeApprove, true, CommandRun, none(ModeDryRun)},
		{ModeEnforce, true, CommandRun, none(ModeDryRun)},
		{ModeDryRun, false, CommandPlan, none(ModeDryRun)},
		{ModeMark, false, CommandPlan, none(ModeMark)},
		{ModeApprove, false, CommandPlan, none(ModeApprove)},
		{ModeEnforce, false, CommandPlan, none(ModeEnforce)},
		{ModeEnforce, true, CommandPlan, none(ModeDryRun)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/forced=%v/%s", tt.mode, tt.forced, tt.command), func(t *testing.T) {
			got := Permit(tt.mode, tt.forced, tt.command)
			if got != tt.want {
				t.Errorf("Permit(%q, %v, %q) = %+v, want %+v", tt.mode, tt.forced, tt.command, got, tt.want)
			}
			if got.DryRun() == got.Terminate {
				t.Errorf("DryRun() = %v with Terminate = %v", got.DryRun(), got.Terminate)
			}
		})
	}
	// Each mode includes everything of the one before.
	var prev Permissions
	for _, m := range Modes() {
		p := Permit(m, false, CommandRun)
		if (prev.Tags && !p.Tags) || (prev.Notices && !p.Notices) || (prev.Terminate && !p.Terminate) {
			t.Errorf("mode %s permits less than the mode before it: %+v < %+v", m, p, prev)
		}
		prev = p
	}
}

// TestRunDecidesDryRunFromSettings: a cycle whose settings do not permit terminations never calls
// TerminateInstance, whatever the caller asked.
func TestRunDecidesDryRunFromSettings(t *testing.T) {
	for _, mode := range append(Modes(), "") {
		h := newHarness(t, []zen.Instance{inst("i-1")}, func(s *Settings) { s.Mode = mode })
		res := h.cycle(t, false)
		acts := mode == ModeEnforce
		if res.DryRun == acts || res.Permissions != Permit(mode, false, CommandRun) {
			t.Errorf("mode %q: Result.DryRun = %v, Permissions = %+v", mode, res.DryRun, res.Permissions)
		}
		if got, want := len(h.api.calls()), map[bool]int{false: 0, true: 1}[acts]; got != want {
			t.Errorf("mode %q: %d TerminateInstance calls, want %d", mode, got, want)
		}
	}
}
