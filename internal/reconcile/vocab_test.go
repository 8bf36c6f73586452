package reconcile

import (
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

func TestDryRun(t *testing.T) {
	tests := []struct {
		name           string
		mayAct, forced bool
		command        string
		want           bool
	}{
		{"config does not permit", false, false, CommandRun, true},
		{"config permits", true, false, CommandRun, false},
		{"command line forces dry-run", true, true, CommandRun, true},
		{"a plan is always dry", true, false, CommandPlan, true},
		{"nothing escalates", false, false, CommandPlan, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DryRun(tt.mayAct, tt.forced, tt.command); got != tt.want {
				t.Errorf("DryRun(%v, %v, %q) = %v, want %v", tt.mayAct, tt.forced, tt.command, got, tt.want)
			}
		})
	}
}

// TestRunDecidesDryRunFromSettings: a cycle whose settings do not permit terminations never calls
// TerminateInstance, whatever the caller asked.
func TestRunDecidesDryRunFromSettings(t *testing.T) {
	for _, mayAct := range []bool{false, true} {
		h := newHarness(t, []zen.Instance{inst("i-1")}, func(s *Settings) { s.MayAct = mayAct })
		res := h.cycle(t, false)
		if res.DryRun == mayAct {
			t.Errorf("MayAct %v: Result.DryRun = %v", mayAct, res.DryRun)
		}
		if got, want := len(h.api.calls()), map[bool]int{false: 0, true: 1}[mayAct]; got != want {
			t.Errorf("MayAct %v: %d TerminateInstance calls, want %d", mayAct, got, want)
		}
	}
}
