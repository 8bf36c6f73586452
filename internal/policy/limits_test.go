package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// cpuBomb is a policy that never finishes and allocates nothing: 500^4 iterations of a test
// that never succeeds. dependent makes it read input.instance, so it is evaluated per instance;
// otherwise it is folded (evaluated once per call).
func cpuBomb(dependent bool) string {
	guard := "true"
	if dependent {
		guard = `input.instance.id != ""`
	}
	return src(
		"package reaper.bomb",
		"",
		`terminate contains "never" if {`,
		"	"+guard,
		"	some a in numbers.range(1, 500)",
		"	some b in numbers.range(1, 500)",
		"	some c in numbers.range(1, 500)",
		"	some d in numbers.range(1, 500)",
		"	a + b + c + d < 0",
		"}",
	)
}

// stringBomb doubles a string steps times (to 16 << steps bytes), keeping every step alive.
func stringBomb(steps int) string {
	lines := []string{"package reaper.bomb", "", `terminate contains "never" if {`,
		`	input.instance.id != ""`, `	s0 := concat("", ["0123456789abcdef", input.instance.id])`}
	for i := 1; i <= steps; i++ {
		lines = append(lines, fmt.Sprintf(`	s%d := concat("", [s%d, s%d])`, i, i-1, i-1))
	}
	lines = append(lines, fmt.Sprintf("	count(s%d) < 0", steps), "}")
	return src(lines...)
}

// arrayBomb builds an array of n numbers, one element at a time.
func arrayBomb(n int) string {
	return src(
		"package reaper.bomb",
		"",
		`terminate contains "never" if {`,
		`	input.instance.id != ""`,
		fmt.Sprintf("	xs := [x | some x in numbers.range(1000, %d)]", n),
		"	count(xs) < 0",
		"}",
	)
}

// innocent and innocentToo are policies that always finish at once, evaluated before and after
// reaper.bomb.
var (
	innocent    = src("package reaper.aaa", "", `warn contains "seen" if input.instance.id != ""`)
	innocentToo = src("package reaper.zzz", "", `warn contains "seen" if input.instance.id != ""`)
)

// testDeadline is the evaluation deadline of the limit tests; limitSlack is how late after it
// an evaluation may return on a loaded machine.
const (
	testDeadline = 1 * time.Second
	limitSlack   = 8 * time.Second
)

func TestEvaluateStopsAtDeadline(t *testing.T) {
	tests := []struct {
		name       string
		policy     string
		instanceID string // the instance named in the error; "" for a folded rule
	}{
		{"per instance", cpuBomb(true), "2"},
		{"folded", cpuBomb(false), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := loadPolicies(t, map[string]string{"aaa.rego": innocent, "bomb.rego": tt.policy, "zzz.rego": innocentToo})
			ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
			defer cancel()
			start := time.Now()
			ds, err := e.Evaluate(ctx, testNow, nil, []Instance{instance("2", time.Hour, nil)})
			took := time.Since(start)
			checkLimitError(t, err, "reaper.bomb", tt.instanceID, context.DeadlineExceeded)
			if ds != nil {
				t.Errorf("decisions %v with the error, want none", ds)
			}
			if took > testDeadline+limitSlack {
				t.Errorf("Evaluate returned after %v, deadline %v", took, testDeadline)
			}
		})
	}
}

func TestExplainStopsAtDeadline(t *testing.T) {
	e := loadPolicies(t, map[string]string{"aaa.rego": innocent, "bomb.rego": cpuBomb(true), "zzz.rego": innocentToo})
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	start := time.Now()
	_, err := e.Explain(ctx, testNow, nil, instance("2", time.Hour, nil), io.Discard)
	checkLimitError(t, err, "reaper.bomb", "2", context.DeadlineExceeded)
	if took := time.Since(start); took > testDeadline+limitSlack {
		t.Errorf("Explain returned after %v, deadline %v", took, testDeadline)
	}
}

func TestEvaluateStopsAtMemoryLimit(t *testing.T) {
	tests := []struct {
		name   string
		policy string
	}{
		// Without the limit both finish, having allocated about 512 MiB.
		{"string doubling", stringBomb(24)},
		{"huge array", arrayBomb(6_000_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GC()
			limit := heapBytes() + 32<<20
			dir := writePolicies(t, map[string]string{"aaa.rego": innocent, "bomb.rego": tt.policy, "zzz.rego": innocentToo})
			e, err := Load(context.Background(), Options{Dir: dir, MemoryLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = e.Evaluate(ctx, testNow, nil, []Instance{instance("2", time.Hour, nil)})
			checkLimitError(t, err, "reaper.bomb", "2", ErrMemoryLimit)
		})
	}
}

func TestEvaluateWithinLimitsIsUnchanged(t *testing.T) {
	runtime.GC()
	dir := writePolicies(t, map[string]string{"aaa.rego": innocent, "small.rego": stringBomb(4)})
	e, err := Load(context.Background(), Options{Dir: dir, MemoryLimit: heapBytes() + 64<<20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ds, err := e.Evaluate(ctx, testNow, nil, []Instance{instance("2", time.Hour, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if got := policiesOf(ds[0].Warn); len(got) != 1 || got[0] != "reaper.aaa" || ds[0].Err != nil {
		t.Errorf("decision %+v, want one warning of reaper.aaa", ds[0])
	}
}

func TestRunTestsStopsAtLimits(t *testing.T) {
	tests := []struct {
		name  string
		test  string
		opts  TestOptions
		cause error
	}{
		{
			name:  "deadline",
			test:  src("package reaper.bomb_test", "", "test_forever if {", `	count(data.reaper.bomb.terminate) == 0`, "}"),
			opts:  TestOptions{Timeout: testDeadline},
			cause: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writePolicies(t, map[string]string{"bomb.rego": cpuBomb(false), "bomb_test.rego": tt.test})
			start := time.Now()
			var out strings.Builder
			sum, err := RunTests(context.Background(), []string{dir}, nil, tt.opts, &out)
			if err != nil {
				t.Fatalf("RunTests: %v", err)
			}
			if sum.Errored != 1 || !strings.Contains(out.String(), "test_forever") {
				t.Errorf("summary %+v, output %q; want one errored test_forever", sum, out.String())
			}
			if took := time.Since(start); took > testDeadline+limitSlack {
				t.Errorf("RunTests returned after %v, deadline %v", took, testDeadline)
			}
		})
	}
}

// checkLimitError checks that err is a *LimitError naming policy and instanceID, caused by cause.
func checkLimitError(t *testing.T, err error, policy, instanceID string, cause error) {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T), want a *LimitError", err, err)
	}
	if le.Policy != policy || le.InstanceID != instanceID {
		t.Errorf("LimitError names policy %q, instance %q; want %q, %q", le.Policy, le.InstanceID, policy, instanceID)
	}
	if !errors.Is(err, cause) {
		t.Errorf("error %v is not %v", err, cause)
	}
	if !strings.Contains(err.Error(), policy) {
		t.Errorf("message %q does not name %s", err, policy)
	}
}

func TestRunTestsStopsAtMemoryLimit(t *testing.T) {
	runtime.GC()
	test := src("package reaper.bomb_test", "", "test_big if {",
		`	count(data.reaper.bomb.terminate) == 0 with input as {"instance": {"id": "x"}}`, "}")
	dir := writePolicies(t, map[string]string{"bomb.rego": stringBomb(24), "bomb_test.rego": test})
	opts := TestOptions{Timeout: time.Minute, MemoryLimit: heapBytes() + 32<<20}
	_, err := RunTests(context.Background(), []string{dir}, nil, opts, io.Discard)
	var le *LimitError
	if !errors.As(err, &le) || le.Tests != "data.reaper.bomb_test.test_big" || !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("error %v, want a *LimitError naming data.reaper.bomb_test.test_big, caused by ErrMemoryLimit", err)
	}
}
