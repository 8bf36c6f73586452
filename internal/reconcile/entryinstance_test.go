package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// maxEntrySize bounds an Entry: one is kept per inventoried instance (100,000 in a large plan),
// so its size is the fleet's cost. Today: the instance pointer (8), Action (16), SkipReason (16),
// Traffic (8), the two flags padded (8) and the pointer to the rarely set details (8): 64 bytes on
// 64-bit. The details (the three reason slices 72, MarkedAt and DueAt 16, Marks 24, RequestID and
// Error 32, TerminatedAt 8: 152 bytes, a 160-byte allocation) exist only for an entry that has one
// of them (TestKeptEntriesHaveNoDetail). An Entry that embedded its zen.Instance again (280 bytes more),
// moved a detail back inline, or grew a field, fails TestEntrySize: raise the bound only
// knowingly (issue 14, peak RSS of a plan).
const maxEntrySize = 64

func TestEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(Entry{}); got > maxEntrySize {
		t.Errorf("unsafe.Sizeof(Entry{}) = %d bytes, want at most %d (see maxEntrySize)", got, maxEntrySize)
	}
}

// detailSet reports whether any of e's details is set (a nil slice, pointer or empty string is
// not set; an empty non-nil slice is, as a report could tell it from nil).
func detailSet(e Entry) bool {
	return e.Terminate() != nil || e.Exempt() != nil || e.Warn() != nil || e.MarkedAt() != nil || e.DueAt() != nil ||
		e.Marks() != nil || e.RequestID() != "" || e.ErrorText() != "" || e.TerminatedAt() != nil
}

// An entry carries its details only when one is set: over a generated fleet, with the bundled
// policies and their decision cache (cold, analysing, served) and then a cycle that terminates,
// no entry has details with nothing in them, and the kept entries without warnings (most of a
// fleet) have none at all. A setter or a cycle step that allocated the details for a zero value
// would silently give back the 144 bytes an instance saves (issue 14).
func TestKeptEntriesHaveNoDetail(t *testing.T) {
	const n = 1500
	w := newSimWorld(t, zensim.Generate(n, 11, t0), t0, true, ModeEnforce)
	check := func(name string, res *Result) {
		t.Helper()
		if len(res.Entries) != n {
			t.Fatalf("%s: status %s (%v), %d entries, want %d", name, res.Status, res.Err, len(res.Entries), n)
		}
		bare := 0
		for _, e := range res.Entries {
			if e.d != nil && !detailSet(e) {
				t.Errorf("%s: %s is %s with details allocated and nothing in them", name, e.Instance.ID, e.Action)
			}
			if e.d == nil {
				bare++
			}
			if e.Action == ActionKept && e.Warn() == nil && e.d != nil {
				t.Errorf("%s: %s is kept without a warning but has details: %s", name, e.Instance.ID, entryText(e))
			}
		}
		if bare < n/2 {
			t.Errorf("%s: %d of %d entries without details, want most of the fleet (counts %v)", name, bare, n, res.Count())
		}
		t.Logf("%s: %d of %d entries without details, counts %v", name, bare, n, res.Count())
	}
	for run := 1; run <= 3; run++ {
		check(fmt.Sprintf("plan %d", run), w.run(context.Background(), CommandPlan, true))
	}
	res := w.run(context.Background(), CommandRun, false)
	if res.Count()[ActionTerminated] == 0 {
		t.Fatalf("run: counts %v, want terminations", res.Count())
	}
	check("run", res)
}

// entryText is e as JSON with its details, for a failure message.
func entryText(e Entry) string {
	b, err := json.Marshal(struct {
		Entry
		Terminate, Exempt, Warn       []policy.Reason
		MarkedAt, DueAt, TerminatedAt *time.Time
		Marks                         []PolicyMark
		RequestID, Error              string
	}{e, e.Terminate(), e.Exempt(), e.Warn(), e.MarkedAt(), e.DueAt(), e.TerminatedAt(), e.Marks(), e.RequestID(), e.ErrorText()})
	if err != nil {
		return err.Error()
	}
	return string(b)
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
// copy (issue 14).
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

// An Entry's details read as zero values while none is set (no read panics on an entry without
// them), setting a zero value allocates nothing, and what is set reads back.
func TestEntryDetails(t *testing.T) {
	var e Entry
	if detailSet(e) || e.d != nil {
		t.Fatalf("zero entry: details set (%s)", entryText(e))
	}
	e.SetTerminate(nil)
	e.SetExempt(nil)
	e.SetWarn(nil)
	e.AddWarn()
	e.SetMarkedAt(nil)
	e.SetDueAt(nil)
	e.SetMarks(nil)
	e.SetRequestID("")
	e.SetErrorText("")
	e.SetTerminatedAt(nil)
	if e.d != nil {
		t.Fatal("setting zero values allocated the details")
	}
	at := t0
	rs := []policy.Reason{{Policy: "reaper.test", Reason: "r"}}
	ms := []PolicyMark{{Policy: "reaper.test", MarkedAt: at, DueAt: at}}
	e.SetTerminate(rs)
	e.SetExempt(rs[:0])
	e.AddWarn(rs...)
	e.AddWarn(rs...)
	e.SetMarkedAt(&at)
	e.SetDueAt(&at)
	e.SetMarks(ms)
	e.SetRequestID("req")
	e.SetErrorText("boom")
	e.SetTerminatedAt(&at)
	if !reflect.DeepEqual(e.Terminate(), rs) || e.Exempt() == nil || len(e.Exempt()) != 0 || len(e.Warn()) != 2 ||
		e.MarkedAt() != &at || e.DueAt() != &at || !reflect.DeepEqual(e.Marks(), ms) || e.RequestID() != "req" ||
		e.ErrorText() != "boom" || e.TerminatedAt() != &at {
		t.Errorf("details do not read back: %s", entryText(e))
	}
	e.SetTerminatedAt(nil)
	e.SetErrorText("")
	if e.TerminatedAt() != nil || e.ErrorText() != "" {
		t.Errorf("details not cleared: %s", entryText(e))
	}
}
