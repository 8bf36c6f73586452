package reconcile

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/policies"
)

// TestRepeatedAndLooseTagsNeverTerminate runs a whole enforce cycle with the bundled policies
// over instances whose tags say "protect" or "keep" in a repeated key or in another case
// (issue 11 items 3 and 5). Every one of them is expired; only the control is terminated.
func TestRepeatedAndLooseTagsNeverTerminate(t *testing.T) {
	expired := func(pairs ...string) func(*zen.Instance) {
		return withTagList(append([]string{"reaper-expires-at", "2020-01-01"}, pairs...)...)
	}
	fleet := []zen.Instance{
		inst("control", expired()),
		inst("protect-true-false", expired("reaper-protect", "true", "reaper-protect", "false")),
		inst("protect-false-true", expired("reaper-protect", "false", "reaper-protect", "true")),
		inst("protect-case", expired("Reaper-Protect", "true")),
		inst("protect-value-case", expired("reaper-protect", "True")),
		inst("protect-spaces", expired("reaper-protect", " true")),
		inst("keep-case", expired("Reaper-Keep", "true")),
		inst("keep-true-false", expired("reaper-keep", "true", "reaper-keep", "false")),
		inst("keep-false-yes", expired("reaper-keep", "false", "reaper-keep", "YES")),
		inst("expiry-conflict", withTagList("reaper-expires-at", "2999-01-01", "reaper-expires-at", "2020-01-01")),
	}
	h := newHarness(t, fleet, nil)
	engine, err := policy.Load(context.Background(), policy.Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	h.rec.opts.Evaluator = engine
	res := h.cycle(t, false)
	if res.Err != nil {
		t.Fatalf("cycle: %v", res.Err)
	}
	if got, want := h.api.calls(), []string{"control"}; !slices.Equal(got, want) {
		t.Fatalf("terminate calls = %v, want %v", got, want)
	}
	want := map[string]Action{
		"protect-true-false": ActionProtected, "protect-false-true": ActionProtected, "protect-case": ActionProtected,
		"protect-value-case": ActionProtected, "protect-spaces": ActionProtected,
		"keep-case": ActionExempt, "keep-true-false": ActionExempt, "keep-false-yes": ActionExempt,
		"expiry-conflict": ActionKept,
	}
	for id, action := range want {
		if got := res.entry(t, id).Action; got != action {
			t.Errorf("%s: action %s, want %s", id, got, action)
		}
	}
	for _, id := range []string{"protect-true-false", "keep-true-false", "expiry-conflict"} {
		if !hasWarning(res.entry(t, id).Warn(), "repeats") {
			t.Errorf("%s: no warning about the repeated key in %v", id, res.entry(t, id).Warn())
		}
	}
}

func hasWarning(ws []policy.Reason, text string) bool {
	return slices.ContainsFunc(ws, func(r policy.Reason) bool { return strings.Contains(r.Reason, text) })
}
