// Package layout checks the shape of the module: which package may import which (docs/ARCHITECTURE.md,
// "imports flow one way"). It has tests only.
package layout

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/reaper-bmc/reaper/"

// allowed lists, for every package of the module, the module packages it may import directly
// (its non-test files). It follows docs/ARCHITECTURE.md, plus the packages that came after it:
//   - safego (panic containment), inert (terminal-safe text) and redact (secrets out of text, in
//     every encoding) are leaves anyone may use;
//   - reconcile imports state for its record types (marks, refusals, intents): its Store
//     interface is its own, the value types are the store's;
//   - state/pgstate is the PostgreSQL backend of state.Backend, state/statetest the suite both
//     backends pass, migrate copies a store from one backend to the other;
//   - record is the record step: it alone joins reconcile's result to report, metrics and notify;
//   - money (exact amounts) is a leaf the state may use too: the price cache and the savings
//     ledger are state records (state.Price, state.Saving) that pricing reads and writes through
//     its own Store interface, and record counts confirmed terminations in.
//
// A package that is not in the table fails the test: a new package states its place here.
var allowed = map[string][]string{
	"cmd/reaper": {"*"}, // wiring: everything below
	"policies":   {},

	"internal/clocktest": {},
	"internal/config":    {},
	"internal/inert":     {},
	"internal/safego":    {},
	"internal/sdnotify":  {},
	"internal/pgtest":    {},                 // a throwaway PostgreSQL for tests
	"internal/state":     {"internal/money"}, // the price cache and the savings ledger hold amounts
	"internal/redact":    {},                 // secrets out of text, in every encoding
	"internal/notify":    {"internal/inert", "internal/redact"},
	"internal/money":     {}, // exact amounts (micro-units)
	// smtptest is an in-process SMTP server (emersion/go-smtp) that only tests import.
	"internal/notify/smtptest": {},
	// redacttest lists a secret's encodings and checks text for them; only tests import it.
	"internal/redact/redacttest": {},

	"internal/zen":             {"internal/money", "internal/redact", "internal/safego"},
	"internal/pricing":         {"internal/money", "internal/safego", "internal/state", "internal/zen"}, // cost per instance, cached in state
	"internal/zen/zensim":      {"internal/zen"},
	"internal/policy":          {"internal/safego"},
	"internal/scheduler":       {"internal/safego"},
	"internal/metrics":         {"internal/safego"},
	"internal/report":          {"internal/inert", "internal/money"},
	"internal/state/pgstate":   {"internal/money", "internal/redact", "internal/state"},
	"internal/state/statetest": {"internal/clocktest", "internal/money", "internal/state"}, // the conformance suite
	"internal/migrate":         {"internal/state"},
	"internal/leader":          {}, // leadership on PostgreSQL: an advisory lock and its fence
	"internal/enrich":          {"internal/policy", "internal/safego", "internal/state", "internal/zen"},
	"internal/reconcile":       {"internal/policy", "internal/safego", "internal/state", "internal/zen"},
	"internal/record": {"internal/config", "internal/inert", "internal/metrics", "internal/notify", "internal/policy",
		"internal/money", "internal/plan", "internal/pricing", "internal/reconcile", "internal/report", "internal/state", "internal/zen"},
	"internal/plan": {"internal/policy", "internal/reconcile", "internal/zen"}, // the plan file (README, Plans and approval)

	"test/e2e":    {}, // tests only
	"test/layout": {}, // tests only
	// tests only: the plain-Go reference of the bundled policies and its benchmark
	"test/policyref": {},
}

// neverBelow lists, for a package, module packages it must not depend on even indirectly: the
// cycle never knows how it is reported, and nothing but the command joins the record step.
var neverBelow = map[string][]string{
	"internal/reconcile": {"internal/report", "internal/metrics", "internal/notify", "internal/record", "internal/config",
		"internal/pricing"}, // no price reaches a decision
	"internal/policy":  {"internal/pricing"},
	"internal/report":  {"internal/reconcile", "internal/record", "internal/policy", "internal/zen", "internal/state"},
	"internal/metrics": {"internal/reconcile", "internal/record"},
	"internal/notify":  {"internal/reconcile", "internal/record"},
}

// packages runs go list and returns each module package with its module imports, direct or all.
func packages(t *testing.T, field string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range ."+field+"}} {{.}}{{end}}", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		var imports []string
		for _, imp := range fields[1:] {
			if rest, ok := strings.CutPrefix(imp, module); ok {
				imports = append(imports, rest)
			}
		}
		pkgs[strings.TrimPrefix(fields[0], module)] = imports
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages of the module:\n%s", len(pkgs), out)
	}
	return pkgs
}

func TestImportsFlowOneWay(t *testing.T) {
	for pkg, imports := range packages(t, "Imports") {
		allow, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is not in the import table of test/layout: add it with the packages it may import", pkg)
			continue
		}
		if slices.Contains(allow, "*") {
			continue
		}
		for _, imp := range imports {
			if !slices.Contains(allow, imp) {
				t.Errorf("%s imports %s, which the table does not allow (docs/ARCHITECTURE.md)", pkg, imp)
			}
		}
	}
}

func TestNothingBelowDependsUpward(t *testing.T) {
	deps := packages(t, "Deps")
	for pkg, forbidden := range neverBelow {
		got, ok := deps[pkg]
		if !ok {
			t.Errorf("package %s not found", pkg)
			continue
		}
		for _, f := range forbidden {
			if slices.Contains(got, f) {
				t.Errorf("%s depends on %s", pkg, f)
			}
		}
	}
	for pkg, imports := range packages(t, "Imports") {
		if pkg != "cmd/reaper" && slices.Contains(imports, "internal/record") {
			t.Errorf("%s imports internal/record: only cmd/reaper wires the record step", pkg)
		}
	}
}

// TestTableIsCurrent: a row for a package that no longer exists is a stale promise.
func TestTableIsCurrent(t *testing.T) {
	pkgs := packages(t, "Imports")
	for pkg := range allowed {
		if _, ok := pkgs[pkg]; !ok && !strings.HasPrefix(pkg, "test/") {
			t.Errorf("the import table names %s, which does not exist", pkg)
		}
	}
}
