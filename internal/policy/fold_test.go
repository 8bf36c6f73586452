package policy

import (
	"context"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// evaluatePlain evaluates like Evaluate but without its two shortcuts: nothing is folded and
// the whole input document is built for every instance.
func evaluatePlain(t *testing.T, e *Engine, now time.Time, params map[string]any, fleet []Instance) []Decision {
	t.Helper()
	set := e.set
	sh, err := newShared(now, set, params)
	if err != nil {
		t.Fatal(err)
	}
	w, err := set.newWorker(context.Background(), slog.New(slog.DiscardHandler), sh, topdown.NewCancel())
	if err != nil {
		t.Fatal(err)
	}
	defer w.close(context.Background())
	w.fields = instanceFields
	out := make([]Decision, len(fleet))
	for i := range fleet {
		out[i] = w.evaluate(context.Background(), &fleet[i])
	}
	return out
}

func TestFoldingAndInputPruningChangeNoDecision(t *testing.T) {
	e := loadBundled(t)
	fleet := syntheticFleet(360) // covers every combination the generator makes, several times
	fleet[3].Tags["reaper-expires-at"] = "1500-01-01"
	fleet[4].Tags["reaper-expires-at"] = "2500-01-01T00:00:00Z"
	for _, p := range []map[string]any{
		nil,
		{"tags": map[string]any{"required": []any{"owner", "cost-center", ""}, "grace": "1d"}},
		{"idle": map[string]any{"min_age": "1d", "window": "72h", "max_p95_bps": 1500000}, "failed": map[string]any{"after": "2w"}},
		{"idle": map[string]any{"min_age": "seven days", "max_p95_bps": "100000"}, "tags": map[string]any{"required": "owner"}, "failed": map[string]any{"after": nil}},
		{"idle": nil, "tags": 3},
	} {
		for _, now := range []time.Time{benchNow, benchNow.Add(17 * 24 * time.Hour)} {
			got, err := e.Evaluate(context.Background(), now, p, fleet)
			if err != nil {
				t.Fatal(err)
			}
			want := evaluatePlain(t, e, now, p, fleet)
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool {
				return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error())
			})); diff != "" {
				t.Errorf("params %v, now %v: folded decisions differ (-plain +folded):\n%s", p, now, diff)
			}
		}
	}
}

func TestFoldableRefs(t *testing.T) {
	e := loadPolicies(t, map[string]string{
		"a.rego": src("package reaper.a",
			"import data.reaper.lib.h",
			`limit := h.seconds(input.params.a.limit)`,              // params only: folded
			`stamp := input.now`,                                    // now only: folded
			`old if input.instance.age_seconds > limit`,             // reads the instance
			`via_rule if old`,                                       // reaches the instance through a rule
			`via_function := h.tag("x")`,                            // reaches the instance through a function
			`masked := y if { y := limit with input.params as {} }`, // uses with
			`terminate contains "old" if via_rule`,
			`warn contains "limit" if not limit`, // params only: folded
			`exempt contains "fn" if via_function`,
			`exempt contains "masked" if masked`),
		"h.rego": src("package reaper.lib.h",
			`seconds(s) := to_number(s)`,
			`tag(k) := input.instance.tags[k]`),
	})
	var got []string
	for _, f := range e.set.folds {
		got = append(got, f.ref.String())
	}
	want := []string{"data.reaper.a.limit", "data.reaper.a.stamp", "data.reaper.a.warn"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("folded rules mismatch (-want +got):\n%s", diff)
	}
}

func TestFoldingSkipsRulesThatFail(t *testing.T) {
	e := loadPolicies(t, map[string]string{
		"a.rego": src("package reaper.a",
			`limit := to_number(input.params.a.limit)`,
			`terminate contains "over" if input.instance.age_seconds > limit`),
	})
	d := evaluateOne(t, e, map[string]any{"a": map[string]any{"limit": "ten"}}, instance("1", time.Hour, nil))
	if d.Err == nil || d.Candidate() {
		t.Errorf("a param that fails to convert gave %+v, want the instance's error", d)
	}
	d = evaluateOne(t, e, map[string]any{"a": map[string]any{"limit": "10"}}, instance("1", time.Hour, nil))
	if !d.Candidate() {
		t.Errorf("limit 10 for a 1h instance gave %+v, want a candidate", d)
	}
}

func TestFoldedCache(t *testing.T) {
	f := &folded{}
	ref := ast.MustParseRef("data.reaper.a.limit")
	f.put(ref, ast.IntNumberTerm(7))
	f.put(ast.MustParseRef("data.reaper.a.none"), nil)
	c := newFoldedCache(f, nil)
	if v, undefined := c.Get(ref); v == nil || !v.Equal(ast.IntNumberTerm(7)) || undefined {
		t.Errorf("Get(folded) = %v, %v; want 7", v, undefined)
	}
	if v, undefined := c.Get(ast.MustParseRef("data.reaper.a.none")); v != nil || !undefined {
		t.Errorf("Get(folded undefined) = %v, %v; want nil, true", v, undefined)
	}
	for _, miss := range []string{"data.reaper.a", "data.reaper.a.limit.x", "data.reaper.b.limit", "input.reaper.a.limit"} {
		if v, undefined := c.Get(ast.MustParseRef(miss)); v != nil || undefined {
			t.Errorf("Get(%s) = %v, %v; want a miss", miss, v, undefined)
		}
	}
	c.Push() // a `with` scope: folds no longer apply
	if v, _ := c.Get(ref); v != nil {
		t.Errorf("Get(folded) inside a with scope = %v, want a miss", v)
	}
	c.Put(ref, ast.IntNumberTerm(8))
	if v, _ := c.Get(ref); v == nil || !v.Equal(ast.IntNumberTerm(8)) {
		t.Errorf("Get after Put inside a with scope = %v, want 8", v)
	}
	c.Pop()
	if v, _ := c.Get(ref); v == nil || !v.Equal(ast.IntNumberTerm(7)) {
		t.Errorf("Get(folded) after the with scope = %v, want 7", v)
	}
	keys := []string{}
	for _, k := range c.Keys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	if len(keys) != 0 {
		t.Errorf("Keys() = %v, want none at the top frame", keys)
	}
}
