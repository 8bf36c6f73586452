package reconcile

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/policies"
)

// TestCycleInputDecidesAsPolicyInput: a cycle's documents carry the tag list without the map of
// first values (the engine derives input.instance.tags from the list), so that a cycle does not
// build a map per instance (issue 14). The bundled policies decide every instance exactly as
// they do over the full document (tags in any case, repeated keys, mark tags, no tags at all),
// and so does a policy that reads the map itself.
func TestCycleInputDecidesAsPolicyInput(t *testing.T) {
	fleet := []zen.Instance{
		inst("none", func(in *zen.Instance) { in.TagList = nil }),
		inst("ttl", withTagList("reaper-ttl", "1h", "owner", "ci")),
		inst("expired", withTagList("reaper-expires-at", "2020-01-01")),
		inst("expiry-repeated", withTagList("reaper-expires-at", "2999-01-01", "reaper-expires-at", "2020-01-01")),
		inst("keep", withTagList("reaper-expires-at", "2020-01-01", "Reaper-Keep", " YES")),
		inst("keep-repeated", withTagList("reaper-expires-at", "2020-01-01", "reaper-keep", "false", "reaper-keep", "true")),
		inst("snooze", withTagList("reaper-expires-at", "2020-01-01", "reaper-snooze-until", "2999-01-01")),
		inst("mark-tags", withTagList(TagTerminateAfter, "2020-01-01T00:00:00Z", " REAPER-REASON ", "x", "reaper-ttl", "2h")),
		inst("failed", func(in *zen.Instance) { in.Status = zen.StatusCreateFailed }),
	}
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	mapPolicy := fstest.MapFS{"maptags.rego": {Data: []byte(`package reaper.maptags

terminate contains sprintf("doomed: %s", [input.instance.tags.doomed]) if input.instance.tags.doomed

exempt contains sprintf("keep: %q", [input.instance.tags["Reaper-Keep"]]) if input.instance.tags["Reaper-Keep"]

warn contains sprintf("%d tags, expiry %q", [count(input.instance.tags), object.get(input.instance.tags, "reaper-expires-at", "-")]) if true
`)}}
	for name, fsys := range map[string]fs.FS{"bundled": policies.FS, "reading the map": mapPolicy} {
		t.Run(name, func(t *testing.T) {
			decide := func(doc func(zen.Instance) policy.Instance) []policy.Decision {
				t.Helper()
				engine, err := policy.Load(context.Background(), policy.Options{FS: fsys}) // its own cache
				if err != nil {
					t.Fatal(err)
				}
				docs := make([]policy.Instance, len(fleet))
				for i := range fleet {
					docs[i] = doc(fleet[i])
				}
				ds, err := engine.Evaluate(context.Background(), now, nil, docs)
				if err != nil {
					t.Fatal(err)
				}
				return ds
			}
			full := decide(func(in zen.Instance) policy.Instance { return PolicyInput(in, nil) })
			cycle := decide(func(in zen.Instance) policy.Instance {
				doc := cycleInput(&in, nil)
				if doc.Tags != nil {
					t.Fatalf("%s: a cycle's document carries a tag map %v", in.ID, doc.Tags)
				}
				return doc
			})
			if diff := cmp.Diff(full, cycle); diff != "" {
				t.Errorf("decisions over the cycle's documents differ from the full documents' (-full +cycle):\n%s", diff)
			}
			terminating := 0
			for _, d := range full {
				terminating += len(d.Terminate)
			}
			if terminating == 0 {
				t.Fatal("no instance has a reason to terminate: the comparison proves nothing")
			}
		})
	}

	// One allocation: the list (policy.Tag is its own type). The map cost two more at least.
	in := inst("ttl", withTagList("reaper-ttl", "1h", "owner", "ci", "env", "prod"))
	if n := testing.AllocsPerRun(100, func() { _ = cycleInput(&in, nil) }); n > 1 {
		t.Errorf("cycleInput made %v allocations, want at most 1", n)
	}
}
