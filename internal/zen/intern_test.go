package zen

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestListInstancesSharesRepeatedValues lists a fleet whose instances carry a few tag lists over
// and over, and checks what issue 14 shares between them: an instance's tags, auto-renew flag and
// period are exactly what the API sent, instances with the same pairs in the same order share one
// list (one per page worker at most), lists that differ in any way (order, a repeated key, a
// value) are not shared, a shared list has no spare capacity (an append copies), and one
// instance's list changed by an append leaves the others as they were.
func TestListInstancesSharesRepeatedValues(t *testing.T) {
	type tagSpec []map[string]any
	tag := func(k, v string) map[string]any { return map[string]any{"key": k, "value": v} }
	specs := []tagSpec{
		{tag("owner", "alice"), tag("env", "prod")},
		{tag("env", "prod"), tag("owner", "alice")},                          // same pairs, other order
		{tag("owner", "alice"), tag("env", "prod"), tag("owner", "mallory")}, // a key repeats
		{tag("owner", "alice"), tag("env", "prodx")},                         // one value differs
		{tag("owner", "alice"), tag("", "dropped"), tag("env", "prod")},      // an empty key is dropped
		{tag("reaper-protect", "true")},
		nil,
	}
	want := []Tags{
		{{Key: "owner", Value: "alice"}, {Key: "env", Value: "prod"}},
		{{Key: "env", Value: "prod"}, {Key: "owner", Value: "alice"}},
		{{Key: "owner", Value: "alice"}, {Key: "env", Value: "prod"}, {Key: "owner", Value: "mallory"}},
		{{Key: "owner", Value: "alice"}, {Key: "env", Value: "prodx"}},
		{{Key: "owner", Value: "alice"}, {Key: "env", Value: "prod"}},
		{{Key: "reaper-protect", Value: "true"}},
		nil,
	}
	const n = 2500 // three pages
	wire := fleet(n, "HKG-A", "")
	for i, w := range wire {
		w["tags"] = nil // the API's null: no tags
		if s := specs[i%len(specs)]; s != nil {
			w["tags"] = map[string]any{"tags": []map[string]any(s)}
		}
		w["autoRenew"] = i%2 == 0
		w["period"] = []any{1, 3, "12", nil}[i%4]
	}
	f := newFakeAPI(t, pagedFleet(t, map[string][]map[string]any{"HKG-A/": wire}, nil))
	c := newTestClient(t, f, WithPageConcurrency(2))
	got, err := c.ListInstances(context.Background(), Filter{Zones: []string{"HKG-A"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("listed %d instances, want %d", len(got), n)
	}
	backings := map[*Tag]int{} // a list's first pair: which spec it was built for
	for i, in := range got {
		k := i % len(specs)
		if diff := cmp.Diff(want[k], in.TagList); diff != "" {
			t.Fatalf("instance %d: tags (-want +got):\n%s", i, diff)
		}
		if cap(in.TagList) != len(in.TagList) {
			t.Errorf("instance %d: tag list has capacity %d for %d pairs: an append would write into a shared list",
				i, cap(in.TagList), len(in.TagList))
		}
		if in.AutoRenew == nil || *in.AutoRenew != (i%2 == 0) {
			t.Errorf("instance %d: autoRenew %v, want %v", i, in.AutoRenew, i%2 == 0)
		}
		wantPeriod := []int{1, 3, 12, 0}[i%4]
		switch {
		case i%4 == 3 && in.PeriodMonths != nil:
			t.Errorf("instance %d: period %d, want none (null)", i, *in.PeriodMonths)
		case i%4 != 3 && (in.PeriodMonths == nil || *in.PeriodMonths != wantPeriod):
			t.Errorf("instance %d: period %v, want %d", i, in.PeriodMonths, wantPeriod)
		}
		if len(in.TagList) == 0 {
			continue
		}
		first := &in.TagList[0]
		if other, seen := backings[first]; seen && other != k && !slices.Equal(want[other], want[k]) {
			t.Fatalf("instance %d shares its tag list with a list of other pairs (%v and %v)", i, want[other], want[k])
		}
		backings[first] = k
	}
	// Specs 0 and 4 have the same pairs once the empty key is dropped: they may share.
	lists := map[string]int{}
	for _, k := range backings {
		lists[fmt.Sprint(want[k])]++
	}
	const workers = 3 // page 1, and one per page worker at most (two pages left)
	for l, copies := range lists {
		if copies > workers {
			t.Errorf("tag list %s has %d copies for %d instances, want at most one per page worker (%d)", l, copies, n/len(specs), workers)
		}
	}

	// An append to one instance's list copies: the instances that share it keep their pairs.
	a, b := got[0], got[len(specs)]
	if &a.TagList[0] != &b.TagList[0] {
		t.Fatalf("instances 0 and %d, one page and one list, do not share it", len(specs))
	}
	a.TagList = append(a.TagList, Tag{Key: "extra", Value: "x"})
	a.TagList[0].Value = "changed"
	if diff := cmp.Diff(want[0], b.TagList); diff != "" {
		t.Errorf("an append to one instance's tags changed another's (-want +got):\n%s", diff)
	}
}
