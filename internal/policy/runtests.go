package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/lineage"
)

// TestOptions tune RunTests.
type TestOptions struct {
	// Run, when set, is a regular expression: only tests whose full name
	// (data.reaper.expiry_test.test_ttl) matches it run, as with `opa test --run`.
	Run string
	// Verbose lists every test with its duration, and print() output and a trace of
	// notes and failures for failing tests, as with `opa test -v`.
	Verbose bool
	// Logger receives debug messages. Nil discards.
	Logger *slog.Logger
	// Timeout is the deadline of each test, as with `opa test --timeout`: a test that runs
	// longer is stopped and counts as an error. 0 means DefaultTestTimeout.
	Timeout time.Duration
	// MemoryLimit stops every test, and RunTests with a *LimitError, when the Go heap grows
	// past this many bytes. 0 means DefaultMemoryLimit.
	MemoryLimit uint64
}

// TestSummary counts test outcomes. A test with sub-tests counts each leaf sub-test.
type TestSummary struct {
	Passed  int
	Failed  int
	Errored int
	Skipped int // todo_test_ rules
}

// DefaultTestTimeout is the deadline of one test when TestOptions.Timeout is 0.
const DefaultTestTimeout = 10 * time.Second

// RunTests runs the Rego unit tests (rules named test_*) of the policy set at paths (files
// or directories, searched recursively for *.rego), or of fsys when paths is empty, and
// reports like `opa test` to w: failures with file:line and test name, then "PASS: n/m".
//
// The policies themselves (files not named *_test.rego) must first pass everything Load
// checks; then all files are compiled together in the same sandbox as production (builtins,
// strict compile, input schema; builtin errors fail the test). Each test stops at its
// deadline (an errored test); the run stops when ctx ends or the heap grows past the memory
// limit (a *LimitError naming a test that was running). The error return is for problems that
// keep tests from running; failing tests are only counted.
func RunTests(ctx context.Context, paths []string, fsys fs.FS, opts TestOptions, w io.Writer) (TestSummary, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	files, err := testFiles(paths, fsys)
	if err != nil {
		return TestSummary{}, err
	}
	modules, err := checkTestFiles(files)
	if err != nil {
		return TestSummary{}, err
	}
	results, err := runTests(ctx, modules, opts)
	if err != nil {
		return TestSummary{}, err
	}
	logger.LogAttrs(ctx, slog.LevelDebug, "policy tests ran", slog.Int("files", len(files)), slog.Int("tests", len(results)))
	if len(results) == 0 {
		_, err := fmt.Fprintln(w, "no tests found")
		return TestSummary{}, err
	}
	if err := report(w, results, opts.Verbose); err != nil {
		return TestSummary{}, err
	}
	return summarize(results), nil
}

// checkTestFiles checks the policies among files as Load does and parses all of them.
func checkTestFiles(files []file) (map[string]*ast.Module, error) {
	var policyFiles []file
	for _, f := range files {
		if !f.isTest() {
			policyFiles = append(policyFiles, f)
		}
	}
	policyModules, err := parseFiles(policyFiles)
	if err != nil {
		return nil, err
	}
	if _, _, err := compilePolicies(policyModules); err != nil {
		return nil, err
	}
	return parseFiles(files)
}

// report writes results as `opa test` does; verbose traces keep notes and failures only.
func report(w io.Writer, results []*tester.Result, verbose bool) error {
	ch := make(chan *tester.Result, len(results))
	for _, r := range results {
		if verbose {
			r.Trace = lineage.Filter(r.Trace, func(e *topdown.Event) bool {
				return e.Op == topdown.NoteOp || e.Op == topdown.FailOp
			})
		}
		ch <- r
	}
	close(ch)
	if err := (tester.PrettyReporter{Output: w, Verbose: verbose}).Report(ch); err != nil {
		return fmt.Errorf("report policy tests: %w", err)
	}
	return nil
}

// runTests compiles modules in the sandbox and runs their tests, sorted by file and line.
func runTests(ctx context.Context, modules map[string]*ast.Module, opts TestOptions) ([]*tester.Result, error) {
	c, err := newCompiler()
	if err != nil {
		return nil, err
	}
	timeout, limit := opts.Timeout, opts.MemoryLimit
	if timeout <= 0 {
		timeout = DefaultTestTimeout
	}
	if limit == 0 {
		limit = DefaultMemoryLimit
	}
	ctx, unwatch := watchMemory(ctx, limit)
	defer unwatch()
	ch, err := tester.NewRunner().
		SetCompiler(c).
		CapturePrintOutput(true).
		EnableTracing(opts.Verbose).
		RaiseBuiltinErrors(true).
		SetTimeout(timeout).
		Filter(opts.Run).
		SetModules(modules).
		RunTests(ctx, nil)
	if err != nil {
		var errs ast.Errors
		if errors.As(err, &errs) {
			err = explainSandbox(errs)
		}
		return nil, fmt.Errorf("compile policy tests: %w", err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	if cause := stopCause(ctx); cause != nil {
		return nil, &LimitError{Tests: interrupted(results), Cause: cause}
	}
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i].Location, results[j].Location
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Row < b.Row
	})
	return results, nil
}

// interrupted names the tests among results that a cancellation stopped.
func interrupted(results []*tester.Result) string {
	var names []string
	for _, r := range results {
		if r.Error != nil && topdown.IsCancel(r.Error) {
			names = append(names, r.Package+"."+r.Name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// summarize counts results as the pretty reporter does.
func summarize(results []*tester.Result) TestSummary {
	var s TestSummary
	for _, r := range results {
		switch {
		case r.Skip:
			s.Skipped++
		case r.Error != nil:
			s.Errored++
		case len(r.SubResults) > 0:
			for _, sr := range r.SubResults.Iter {
				if len(sr.SubResults) > 0 {
					continue
				}
				if sr.Fail {
					s.Failed++
				} else {
					s.Passed++
				}
			}
		case r.Fail:
			s.Failed++
		default:
			s.Passed++
		}
	}
	return s
}

// testFiles reads the *.rego files of paths (files, or directories searched recursively), or
// of fsys when paths is empty.
func testFiles(paths []string, fsys fs.FS) ([]file, error) {
	if len(paths) == 0 {
		src, err := readSource("", fsys)
		return src.rego, err
	}
	var files []file
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read policies: %w", err)
		}
		if info.IsDir() {
			src, err := readSource(p, nil)
			if err != nil {
				return nil, err
			}
			files = append(files, src.rego...)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read policies: %w", err)
		}
		files = append(files, file{rel: filepath.ToSlash(filepath.Base(p)), name: p, data: data})
	}
	return files, nil
}
