package reconcile

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// fakeTags is a TagWriter that records every write and applies it to the fake API's instances,
// so the next listing shows it (as ZRM does, zenlayer-bmc-api.md §10.4).
type fakeTags struct {
	mu     sync.Mutex
	api    *fakeAPI
	writes []TagWrite
	fail   error
}

func (f *fakeTags) ModifyResourceTags(ctx context.Context, id string, set []zen.Tag, remove []string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, TagWrite{InstanceID: id, Set: slices.Clone(set), Removed: slices.Clone(remove)})
	if f.fail != nil {
		return "", f.fail
	}
	f.api.mu.Lock()
	defer f.api.mu.Unlock()
	for i, in := range f.api.instances {
		if in.ID != id {
			continue
		}
		tags := in.TagList.First()
		if tags == nil {
			tags = map[string]string{}
		}
		for _, t := range set {
			tags[t.Key] = t.Value
		}
		for _, k := range remove {
			delete(tags, k)
		}
		f.api.instances[i].TagList = zen.TagsFromMap(tags)
	}
	return "Z-" + id, nil
}

func (f *fakeTags) take() []TagWrite {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.writes
	f.writes = nil
	return w
}

func newTagHarness(t *testing.T, mode string, grace time.Duration, instances ...zen.Instance) (*harness, *fakeTags) {
	t.Helper()
	h := newHarness(t, instances, nil)
	tags := &fakeTags{api: h.api}
	rec, err := New(Options{
		API: h.api, Evaluator: tagEvaluator{}, Store: h.store, Tags: tags, Now: func() time.Time { return h.now },
		Settings: Settings{Mode: mode, GracePeriod: grace, MaxTerminationsPerRun: 10, MaxTerminationsPercent: 100,
			MaxFleetDropPercent: 50, CommitmentRetryAfter: 168 * time.Hour,
			Protect: Protection{Tags: map[string]string{"reaper-protect": "true"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.rec = rec
	return h, tags
}

// tagged replaces the instance's tags (inst's default doomed=yes included) with kv.
func tagged(kv ...string) func(*zen.Instance) {
	return func(in *zen.Instance) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		in.TagList = zen.TagsFromMap(m)
	}
}

func (h *harness) tagsOf(id string) map[string]string {
	h.api.mu.Lock()
	defer h.api.mu.Unlock()
	for _, in := range h.api.instances {
		if in.ID == id {
			return in.TagList.First()
		}
	}
	return nil
}

// TestMarkModeWritesUpdatesAndRemovesMarkTags walks one instance through README, Mark tags: marked
// when it becomes a candidate, no write while nothing changes, rewritten when its due time
// changes, removed when it stops being a candidate; mark never terminates.
func TestMarkModeWritesUpdatesAndRemovesMarkTags(t *testing.T) {
	h, tags := newTagHarness(t, ModeMark, 24*time.Hour,
		inst("c", tagged("doomed", "yes")), inst("k", tagged()), inst("x", tagged("keep", "yes")))
	h.cycle(t, false)
	got := tags.take()
	if len(got) != 1 || got[0].InstanceID != "c" || len(got[0].Removed) != 0 {
		t.Fatalf("first cycle wrote %+v, want one write on c", got)
	}
	due := t0.Add(24 * time.Hour).Format(time.RFC3339)
	if m := h.tagsOf("c"); m[TagTerminateAfter] != due || m[TagReason] != "test" {
		t.Errorf("tags of c = %v, want %s=%s and %s=test", m, TagTerminateAfter, due, TagReason)
	}

	h.now = h.now.Add(time.Hour)
	h.cycle(t, false)
	if got := tags.take(); len(got) != 0 {
		t.Errorf("an unchanged candidate was written again: %+v", got)
	}

	// The grace period doubles: the due time moves, so the tag follows.
	h.rec.opts.Settings.GracePeriod = 48 * time.Hour
	h.cycle(t, false)
	got = tags.take()
	want := t0.Add(48 * time.Hour).Format(time.RFC3339)
	if len(got) != 1 || len(got[0].Set) != 1 || got[0].Set[0] != (zen.Tag{Key: TagTerminateAfter, Value: want}) {
		t.Errorf("after the due time moved: writes %+v, want only %s=%s", got, TagTerminateAfter, want)
	}

	// Past its due time in mark mode: still marked (would_terminate), never terminated.
	h.now = h.now.Add(72 * time.Hour)
	res := h.cycle(t, false)
	if e := res.entry(t, "c"); e.Action != ActionWouldTerminate {
		t.Errorf("due instance in mark mode: action %s, want would_terminate", e.Action)
	}
	if len(h.api.terminated) != 0 {
		t.Errorf("mark mode terminated %v", h.api.terminated)
	}

	// It stops being a candidate: both tags go, and nothing else.
	h.api.mu.Lock()
	deleteTag(&h.api.instances[0], "doomed")
	h.api.mu.Unlock()
	h.cycle(t, false)
	got = tags.take()
	if len(got) != 1 || len(got[0].Set) != 0 || !sameKeys(got[0].Removed, TagReason, TagTerminateAfter) {
		t.Errorf("after it stopped being a candidate: writes %+v, want the two mark keys removed", got)
	}
	h.cycle(t, false)
	if got := tags.take(); len(got) != 0 {
		t.Errorf("an instance without mark tags got a write: %+v", got)
	}
}

func sameKeys(got []string, want ...string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// TestMarkTagsRemovedFromExemptAndProtected: an exempt or protected instance carrying mark tags
// loses exactly the keys it carries, as it spells them; one without them gets no write; an
// instance a guard skipped or whose evaluation failed keeps its tags.
func TestMarkTagsRemovedFromExemptAndProtected(t *testing.T) {
	h, tags := newTagHarness(t, ModeMark, time.Hour,
		inst("e", tagged("doomed", "yes", "keep", "yes", " Reaper-Reason", "idle")),
		inst("p", tagged("doomed", "yes", "reaper-protect", "true", TagTerminateAfter, "2026-01-01T00:00:00Z", TagReason, "test")),
		inst("q", tagged("keep", "yes")),
		inst("s", tagged("doomed", "yes", TagReason, "test"), func(in *zen.Instance) { in.Status = zen.StatusBooting }),
		inst("b", tagged("broken", "yes", TagReason, "test")))
	h.cycle(t, false)
	got := map[string][]string{}
	for _, w := range tags.take() {
		if len(w.Set) != 0 {
			t.Errorf("write on %s sets %v, want removals only", w.InstanceID, w.Set)
		}
		got[w.InstanceID] = w.Removed
	}
	want := map[string][]string{"e": {" Reaper-Reason"}, "p": {TagReason, TagTerminateAfter}}
	if len(got) != len(want) || !sameKeys(got["e"], want["e"]...) || !sameKeys(got["p"], want["p"]...) {
		t.Errorf("removals = %v, want %v", got, want)
	}
}

// TestDryRunAndPlanWriteNoTags: neither dry-run (the mode or --dry-run) nor a plan writes a tag,
// in any mode.
func TestDryRunAndPlanWriteNoTags(t *testing.T) {
	for _, mode := range Modes() {
		h, tags := newTagHarness(t, mode, 0, inst("c", tagged("doomed", "yes")), inst("x", tagged("keep", "yes", TagReason, "test")))
		h.cycle(t, true) // --dry-run
		h.runs++
		h.rec.Run(context.Background(), Cycle{RunID: "plan", Command: CommandPlan})
		if mode == ModeDryRun {
			h.cycle(t, false)
		}
		if got := tags.take(); len(got) != 0 {
			t.Errorf("mode %s: tag writes %+v in dry-run or plan", mode, got)
		}
	}
}

// TestEnforceTerminatesDueAndMarksTheRest: in enforce a due instance is terminated without a
// tag write, and a candidate inside its grace period is marked.
func TestEnforceTerminatesDueAndMarksTheRest(t *testing.T) {
	h, tags := newTagHarness(t, ModeEnforce, time.Hour, inst("old", tagged("doomed", "yes")))
	h.cycle(t, false)
	tags.take()
	h.now = h.now.Add(2 * time.Hour)
	h.api.mu.Lock()
	h.api.instances = append(h.api.instances, inst("new", tagged("doomed", "yes")))
	h.api.mu.Unlock()
	res := h.cycle(t, false)
	if e := res.entry(t, "old"); e.Action != ActionTerminated {
		t.Errorf("old: %s, want terminated", e.Action)
	}
	got := tags.take()
	if len(got) != 1 || got[0].InstanceID != "new" {
		t.Errorf("writes %+v, want one on new only", got)
	}
}

// TestFailedTagWriteIsAWarning: a write that fails is a warning on the entry and in
// Result.TagWrites; the cycle ends ok and the other instances are still written.
func TestFailedTagWriteIsAWarning(t *testing.T) {
	h, tags := newTagHarness(t, ModeMark, time.Hour, inst("a", tagged("doomed", "yes")), inst("b", tagged("doomed", "yes")))
	tags.fail = errors.New("zrm down")
	res := h.cycle(t, false)
	if res.Status != StatusOK || res.Err != nil {
		t.Fatalf("status %s, err %v: a failed tag write must not fail the cycle", res.Status, res.Err)
	}
	if len(res.TagWrites) != 2 {
		t.Fatalf("TagWrites = %+v, want both attempted", res.TagWrites)
	}
	for _, w := range res.TagWrites {
		if w.Result != TagWriteFailed || w.Err == "" {
			t.Errorf("TagWrite %+v, want failed with its error", w)
		}
		e := res.entry(t, w.InstanceID)
		if !slices.ContainsFunc(e.Warn(), func(r policy.Reason) bool { return strings.Contains(r.Reason, "mark tags not written: zrm down") }) {
			t.Errorf("entry %s warnings %v lack the failed write", w.InstanceID, e.Warn())
		}
		if e.Action != ActionMarked {
			t.Errorf("entry %s action %s, want marked", w.InstanceID, e.Action)
		}
	}
}

// TestMarkTagsAreNeverPolicyInput: the policy input holds no mark tag, in any spelling, in the
// map or the list; the other tags are untouched.
func TestMarkTagsAreNeverPolicyInput(t *testing.T) {
	in := inst("i", func(in *zen.Instance) {
		in.TagList = []zen.Tag{{Key: "owner", Value: "ci"}, {Key: TagTerminateAfter, Value: "x"}, {Key: " REAPER-REASON ", Value: "y"},
			{Key: "reaper-reasons", Value: "kept: not a mark key"}}
	})
	orig := slices.Clone(in.TagList)
	doc := PolicyInput(in, nil)
	wantMap := map[string]string{"owner": "ci", "reaper-reasons": "kept: not a mark key"}
	if !maps.Equal(doc.Tags, wantMap) {
		t.Errorf("input tags = %v, want %v", doc.Tags, wantMap)
	}
	wantList := []policy.Tag{{Key: "owner", Value: "ci"}, {Key: "reaper-reasons", Value: "kept: not a mark key"}}
	if !slices.Equal(doc.TagList, wantList) {
		t.Errorf("input tag_list = %v, want %v", doc.TagList, wantList)
	}
	if !slices.Equal(in.TagList, orig) {
		t.Errorf("PolicyInput changed the instance's tags: %v", in.TagList)
	}
}

// TestMarkTagsDecideNothing: an evaluator that nominates on reaper-terminate-after and exempts on
// reaper-reason sees neither, so a cycle in enforce neither terminates nor exempts because of them.
func TestMarkTagsDecideNothing(t *testing.T) {
	h, _ := newTagHarness(t, ModeEnforce, 0,
		inst("n", tagged(TagTerminateAfter, "2020-01-01T00:00:00Z")),
		inst("x", tagged("doomed", "yes", " Reaper-Reason", "keep")))
	h.rec.opts.Evaluator = markReadingEvaluator{}
	res := h.cycle(t, false)
	if e := res.entry(t, "n"); e.Action != ActionKept {
		t.Errorf("n: %s, want kept (a mark tag must not nominate)", e.Action)
	}
	if e := res.entry(t, "x"); e.Action != ActionTerminated {
		t.Errorf("x: %s, want terminated (a mark tag must not exempt)", e.Action)
	}
}

// markReadingEvaluator nominates what carries reaper-terminate-after and exempts what carries
// reaper-reason, in any spelling, in the map or the list; doomed=yes nominates too.
type markReadingEvaluator struct{}

func (markReadingEvaluator) Evaluate(_ context.Context, _ time.Time, _ map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	out := make([]policy.Decision, len(in))
	for i, x := range in {
		out[i].InstanceID = x.ID
		keys := slices.Collect(maps.Keys(x.Tags))
		for _, t := range x.TagList {
			keys = append(keys, t.Key)
		}
		for _, k := range keys {
			switch strings.ToLower(strings.TrimSpace(k)) {
			case TagTerminateAfter:
				out[i].Terminate = append(out[i].Terminate, policy.Reason{Policy: "reaper.marks", Reason: "marked"})
			case TagReason:
				out[i].Exempt = append(out[i].Exempt, policy.Reason{Policy: "reaper.marks", Reason: "reason"})
			}
		}
		if tagValue(&x, "doomed") == "yes" {
			out[i].Terminate = append(out[i].Terminate, policy.Reason{Policy: "reaper.test", Reason: "doomed"})
		}
	}
	return out, nil
}

func TestReasonTag(t *testing.T) {
	r := func(ps ...string) []policy.Reason {
		var out []policy.Reason
		for _, p := range ps {
			out = append(out, policy.Reason{Policy: p, Reason: "x"})
		}
		return out
	}
	long := func(c byte) string { return "reaper." + strings.Repeat(string(c), 31) }
	tests := []struct {
		name string
		in   []policy.Reason
		want string
	}{
		{"one", r("reaper.idle"), "idle"},
		{"sorted, once each", r("reaper.idle", "reaper.expiry", "reaper.idle"), "expiry,idle"},
		{"nested package", r("reaper.team.ci"), "team.ci"},
		{"exactly 64", r(long('a'), "reaper."+strings.Repeat("b", 32)), strings.Repeat("a", 31) + "," + strings.Repeat("b", 32)},
		{"cut at a name", r(long('a'), long('b'), long('c')), strings.Repeat("a", 31) + ",+2"},
		{"first name too long", r("reaper."+strings.Repeat("z", 70), "reaper.a"), "a,+1"},
		{"nothing fits", r("reaper." + strings.Repeat("z", 70)), "+1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReasonTag(tt.in)
			if got != tt.want {
				t.Errorf("ReasonTag = %q, want %q", got, tt.want)
			}
			if len([]rune(got)) > MaxReasonTag {
				t.Errorf("ReasonTag = %q: %d characters, more than %d", got, len(got), MaxReasonTag)
			}
		})
	}
}
