package policy

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/policies"
)

func TestRunTestsBundledPoliciesPass(t *testing.T) {
	var out strings.Builder
	s, err := RunTests(context.Background(), nil, policies.FS, TestOptions{}, &out)
	if err != nil {
		t.Fatalf("RunTests(bundled): %v", err)
	}
	if s.Failed+s.Errored > 0 || s.Passed < 40 {
		t.Errorf("bundled policy tests: %+v, want all passing (40 or more)\n%s", s, out.String())
	}
	if want := regexp.MustCompile(`(?m)^PASS: (\d+)/(\d+)$`); !want.MatchString(out.String()) {
		t.Errorf("output lacks PASS: n/n:\n%s", out.String())
	}
}

// testSet is a policy with one passing, one failing and one erroring test.
var testSet = map[string]string{
	"a.rego": src("package reaper.a",
		`terminate contains "old" if input.instance.age_seconds > 10`),
	"a_test.rego": src("package reaper.a_test",
		"import data.reaper.a",
		"",
		`test_passes if "old" in a.terminate with input as {"instance": {"age_seconds": 11}}`,
		"",
		`test_fails if "old" in a.terminate with input as {"instance": {"age_seconds": 1}}`,
		"",
		`test_errors if to_number("ten") > 1`,
		"",
		`todo_test_later if false`),
}

func TestRunTestsCountsAndReports(t *testing.T) {
	dir := writePolicies(t, testSet)
	var out strings.Builder
	s, err := RunTests(context.Background(), []string{dir}, nil, TestOptions{}, &out)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	if diff := cmp.Diff(TestSummary{Passed: 1, Failed: 1, Errored: 1, Skipped: 1}, s); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
	text := out.String()
	for _, want := range []string{
		filepath.Join(dir, "a_test.rego") + ":6:",
		"data.reaper.a_test.test_fails: FAIL",
		"data.reaper.a_test.test_errors: ",
		"a_test.rego:8: eval_builtin_error: to_number",
		"PASS: 1/4", "FAIL: 1/4", "ERROR: 1/4", "SKIPPED: 1/4",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "test_passes") {
		t.Errorf("non-verbose output lists a passing test:\n%s", text)
	}
}

func TestRunTestsVerbose(t *testing.T) {
	var out strings.Builder
	_, err := RunTests(context.Background(), []string{writePolicies(t, testSet)}, nil, TestOptions{Verbose: true}, &out)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	if !regexp.MustCompile(`data\.reaper\.a_test\.test_passes: PASS \([0-9.]+[µnm]?s\)`).MatchString(out.String()) {
		t.Errorf("verbose output does not list the passing test with its duration:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAILURES") {
		t.Errorf("verbose output has no FAILURES section:\n%s", out.String())
	}
}

func TestRunTestsFilter(t *testing.T) {
	tests := []struct {
		run  string
		want TestSummary
	}{
		{"passes", TestSummary{Passed: 1}},
		{"test_(passes|fails)$", TestSummary{Passed: 1, Failed: 1}},
		{"a_test.test_errors", TestSummary{Errored: 1}},
		{"nothing-matches", TestSummary{}},
	}
	dir := writePolicies(t, testSet)
	for _, tt := range tests {
		t.Run(tt.run, func(t *testing.T) {
			var out strings.Builder
			s, err := RunTests(context.Background(), []string{dir}, nil, TestOptions{Run: tt.run}, &out)
			if err != nil {
				t.Fatalf("RunTests: %v", err)
			}
			if diff := cmp.Diff(tt.want, s); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s\n%s", diff, out.String())
			}
		})
	}
	if _, err := RunTests(context.Background(), []string{dir}, nil, TestOptions{Run: "("}, &strings.Builder{}); err == nil {
		t.Error("RunTests with an invalid -run expression succeeded")
	}
}

func TestRunTestsFilePaths(t *testing.T) {
	dir := writePolicies(t, testSet)
	var out strings.Builder
	s, err := RunTests(context.Background(), []string{filepath.Join(dir, "a.rego"), filepath.Join(dir, "a_test.rego")}, nil, TestOptions{Run: "passes"}, &out)
	if err != nil || s.Passed != 1 {
		t.Errorf("RunTests(files) = %+v, %v; want 1 passed\n%s", s, err, out.String())
	}
}

func TestRunTestsUsesTheSandbox(t *testing.T) {
	tests := []struct {
		name string
		test string
		want string
	}{
		{"network", `test_net if http.send({"method": "get", "url": "http://127.0.0.1:1/"})`, "builtin http.send is not allowed"},
		{"clock", `test_clock if time.now_ns() > 0`, "builtin time.now_ns is not allowed"},
		{"schema", `test_typo if input.instance.tag.owner == "x"`, "undefined ref: input.instance.tag.owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writePolicies(t, map[string]string{
				"a.rego":      testSet["a.rego"],
				"a_test.rego": src("package reaper.a_test", tt.test),
			})
			_, err := RunTests(context.Background(), []string{dir}, nil, TestOptions{}, &strings.Builder{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "a_test.rego:2") {
				t.Errorf("RunTests error = %v, want %q at a_test.rego:2", err, tt.want)
			}
		})
	}
}

func TestRunTestsChecksThePolicies(t *testing.T) {
	dir := writePolicies(t, map[string]string{
		"a.rego":      src("package reaper.a", `terminate := "x"`),
		"a_test.rego": src("package reaper.a_test", "test_a if true"),
	})
	_, err := RunTests(context.Background(), []string{dir}, nil, TestOptions{}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "must be a set of reasons") {
		t.Errorf("RunTests over a broken policy: error = %v, want the contract error", err)
	}
}

func TestRunTestsWithoutTests(t *testing.T) {
	var out strings.Builder
	s, err := RunTests(context.Background(), []string{writePolicies(t, map[string]string{"a.rego": testSet["a.rego"]})}, nil, TestOptions{}, &out)
	if err != nil || s != (TestSummary{}) || !strings.Contains(out.String(), "no tests found") {
		t.Errorf("RunTests without tests = %+v, %v, %q; want nothing run and a note", s, err, out.String())
	}
}
