package reconcile

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// maxEntrySize bounds an Entry: one is kept per inventoried instance (100,000 in a large plan),
// so its size is the fleet's cost. Today: the instance pointer (8), Action (16), the Terminate,
// Exempt and Warn slices (3 x 24), SkipReason (16), MarkedAt and DueAt (2 x 8), Marks (24),
// RequestID and Error (2 x 16), TerminatedAt and Traffic (2 x 8), the two flags padded (8): 208
// bytes on 64-bit. An Entry that embedded its zen.Instance again (280 bytes more), or grew a field,
// fails TestEntrySize: raise the bound only knowingly (issue 14, peak RSS of a plan).
const maxEntrySize = 208

func TestEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(Entry{}); got > maxEntrySize {
		t.Errorf("unsafe.Sizeof(Entry{}) = %d bytes, want at most %d (see maxEntrySize)", got, maxEntrySize)
	}
}

// listSpy makes the harness's listing return listed itself, and returns a deep copy of it as it
// was listed: the test can then check the listing was never written and the entries point into it.
func listSpy(h *harness, listed []zen.Instance) []zen.Instance {
	h.api.list = func() ([]zen.Instance, error) { return listed, nil }
	seen := make([]zen.Instance, len(listed))
	for i, in := range listed {
		seen[i] = in
		seen[i].TagList = slices.Clone(in.TagList)
	}
	return seen
}

// The entries of a cycle point at the listing's own instances, each at its own one, with no
// copy: an Entry is 208 bytes, not 488 (issue 14).
func TestEntriesPointIntoTheListing(t *testing.T) {
	listed := []zen.Instance{inst("a"), inst("b", withTag("keep", "yes")), inst("c", withTag("doomed", "no")),
		inst("d", withTag("reaper-protect", "true")), inst("e", withStatus(zen.StatusInstalling))}
	h := newHarness(t, nil, nil)
	seen := listSpy(h, listed)
	res := h.cycle(t, true)
	if res.Status != StatusOK || len(res.Entries) != len(listed) {
		t.Fatalf("status %s, %d entries, want ok and %d", res.Status, len(res.Entries), len(listed))
	}
	ptrs := map[*zen.Instance]bool{}
	for i, e := range res.Entries {
		if e.Instance != &listed[i] {
			t.Errorf("entry %d (%s) points at %p, want the listing's element %p", i, e.Action, e.Instance, &listed[i])
			continue
		}
		ptrs[e.Instance] = true
		if diff := cmp.Diff(seen[i], *e.Instance); diff != "" {
			t.Errorf("entry %d's instance differs from the listed one (-listed +entry):\n%s", i, diff)
		}
	}
	if len(ptrs) != len(listed) {
		t.Errorf("%d distinct instances behind %d entries", len(ptrs), len(listed))
	}
}

// A re-describe (act's re-check, confirm's describe after the call) gives the entry the fresh
// description and never writes into the listing the entry pointed at: nothing may observe a
// changed listing.
func TestRedescribeNeverWritesTheListing(t *testing.T) {
	renamed := func(in *zen.Instance) { in.Name, in.Hostname = "vm-a-fresh", "host-fresh" }
	tests := []struct {
		name     string
		fresh    zen.Instance
		notTaken bool
		action   Action
	}{
		{"changed before acting", inst("a", renamed, withTag("keep", "yes")), false, ActionSkipped},
		{"terminated", inst("a", renamed), false, ActionTerminated},
		{"unconfirmed", inst("a", renamed, withTag("extra", "x")), true, ActionUnconfirmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listed := []zen.Instance{inst("a"), inst("z", withTag("doomed", "no"))}
			h := newHarness(t, []zen.Instance{tt.fresh, inst("z", withTag("doomed", "no"))}, nil)
			seen := listSpy(h, listed)
			if tt.notTaken {
				h.api.notTaken = map[string]bool{"a": true}
			}
			res := h.cycle(t, false)
			e := res.entry(t, "a")
			if e.Action != tt.action {
				t.Fatalf("a: %s/%s, want %s", e.Action, e.SkipReason, tt.action)
			}
			if diff := cmp.Diff(seen, listed); diff != "" {
				t.Errorf("the listing changed (-listed +now):\n%s", diff)
			}
			if e.Instance == &listed[0] {
				t.Fatal("a's entry still points at the listing's element after the re-describe")
			}
			if e.Instance.Name != "vm-a-fresh" || e.Instance.Hostname != "host-fresh" {
				t.Errorf("a's entry shows name %q hostname %q, want the fresh description's", e.Instance.Name, e.Instance.Hostname)
			}
			if tt.notTaken && e.Instance.TagList.First()["extra"] != "x" {
				t.Errorf("a's entry shows tags %v, want confirm's description (extra=x)", e.Instance.TagList)
			}
			if z := res.entry(t, "z"); z.Instance != &listed[1] {
				t.Errorf("z's entry points at %p, want the listing's element %p", z.Instance, &listed[1])
			}
		})
	}
}

// Apply builds its entries from the plan's items, not from a listing: each has an instance of its
// own (never nil), with the item's ID and name, until act's re-check replaces it.
func TestApplyEntriesHaveTheirOwnInstance(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a"), inst("b")}, func(s *Settings) { s.Mode = ModeApprove })
	h.api.describe = func([]string) ([]zen.Instance, error) { return nil, nil } // both gone: nothing is replaced
	res, err := h.rec.Apply(t.Context(), ApplyCycle{RunID: "apply-1", PlanRunID: "plan-1", InventorySize: 2,
		Items: []ApplyItem{{ID: "a", Name: "vm-a"}, {ID: "b", Name: "vm-b"}}, Fingerprint: func(zen.Instance) string { return "" }},
		&memLedger{m: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 2 || res.Entries[0].Instance == nil || res.Entries[1].Instance == nil ||
		res.Entries[0].Instance == res.Entries[1].Instance {
		t.Fatalf("entries %+v, want two with instances of their own", res.Entries)
	}
	for i, id := range []string{"a", "b"} {
		if got := *res.Entries[i].Instance; got.ID != id || got.Name != "vm-"+id || got.Status != "" {
			t.Errorf("entry %d: %+v, want only ID %s and name vm-%s", i, got, id, id)
		}
	}
}
