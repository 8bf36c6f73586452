package reconcile

import (
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// TestTagMatchAllocatesNothing: protection's tag match runs twice for every listed instance.
// Sorting the configured keys into a new slice each time made three slices of garbage per
// instance, which at the collector's pace counted as live heap at the peak of a large plan
// (issue 14). An instance that matches nothing and carries no warning allocates nothing.
func TestTagMatchAllocatesNothing(t *testing.T) {
	p := Protection{Tags: map[string]string{"reaper-protect": "true", "keep": "yes", "team": "core"}}
	in := zen.Instance{ID: "i-1", TagList: zen.Tags{{Key: "owner", Value: "alice"}, {Key: "env", Value: "prod"}}}
	if _, ok := p.match(in); ok {
		t.Fatal("the instance matched a protection it does not carry")
	}
	for name, f := range map[string]func(){
		"match":       func() { p.match(in) },
		"tagWarnings": func() { _ = p.tagWarnings(in) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per instance, want 0", name, n)
		}
	}
	// The order of the configured keys still decides which rule is named.
	in.TagList = zen.Tags{{Key: "team", Value: "Core"}, {Key: "keep", Value: "YES"}}
	if rule, ok := p.match(in); !ok || rule != "protect.tags: keep=YES" {
		t.Errorf("match = %q, %v; want the first configured key in order, keep", rule, ok)
	}
}
