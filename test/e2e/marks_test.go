package e2e_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// The mark tags of README, Mark tags against the simulator's zrm service, counting the calls it saw.

// zrmCalls returns the ModifyResourceTags calls the simulator saw since the last ResetCalls, by
// instance ID.
func (w *world) zrmCalls() []zensim.Call {
	var out []zensim.Call
	for _, c := range w.sim.Calls() {
		if c.Service == zensim.ServiceZRM {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) zrmIDs() []string {
	var ids []string
	for _, c := range w.zrmCalls() {
		ids = append(ids, c.InstanceIDs...)
	}
	slices.Sort(ids)
	return ids
}

// simTags returns the tags the simulator serves for id.
func (w *world) simTags(id string) map[string]string {
	w.t.Helper()
	in, ok := w.sim.Instance(id)
	if !ok {
		w.t.Fatalf("no instance %s in the simulator", id)
	}
	return in.Tags
}

func mode(m string, grace time.Duration) func(*reconcile.Settings) {
	return func(s *reconcile.Settings) { s.Mode, s.GracePeriod = m, grace }
}

// TestDryRunWritesNoTag: the dry-run mode, --dry-run in every mode and plan in every mode make no
// zrm call at all, although there are candidates and stale mark tags to remove.
func TestDryRunWritesNoTag(t *testing.T) {
	stale := healthy("2")
	stale.Tags[reconcile.TagTerminateAfter] = "2026-11-01T00:00:00Z"
	w := newWorld(t, []zensim.FleetInstance{expired("1"), stale})
	w.cycle(mode(reconcile.ModeDryRun, time.Hour), "run", false)
	for _, m := range reconcile.Modes() {
		w.cycle(mode(m, time.Hour), "run", true)
		w.cycle(mode(m, time.Hour), "plan", false)
	}
	if got := w.zrmCalls(); len(got) != 0 {
		t.Fatalf("zrm calls in dry-run or plan: %+v", got)
	}
	w.wantTerminateCalls()
}

// TestMarkModeMarksAndNeverTerminates: mark writes both tags on a candidate, writes nothing while
// nothing changes, rewrites the due time when it moves, removes the tags when the instance is
// exempt or protected or stops being a candidate, and never terminates, even long past due.
func TestMarkModeMarksAndNeverTerminates(t *testing.T) {
	w := newWorld(t, []zensim.FleetInstance{expired("1"), expired("2"), expired("3"), healthy("4")})
	res := w.cycle(mode(reconcile.ModeMark, 24*time.Hour), "run", false)
	if res.Status != reconcile.StatusOK {
		t.Fatalf("status %s: %v", res.Status, res.Err)
	}
	if got := w.zrmIDs(); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("zrm calls for %v, want 1, 2, 3", got)
	}
	due := t0.Add(24 * time.Hour).Format(time.RFC3339)
	for _, id := range []string{"1", "2", "3"} {
		tags := w.simTags(id)
		if tags[reconcile.TagTerminateAfter] != due || tags[reconcile.TagReason] != "expiry" || tags["owner"] != "ci" {
			t.Errorf("%s: tags %v, want %s=%s, %s=expiry and owner kept", id, tags, reconcile.TagTerminateAfter, due, reconcile.TagReason)
		}
	}

	w.sim.ResetCalls()
	w.clock.Advance(time.Hour)
	w.cycle(mode(reconcile.ModeMark, 24*time.Hour), "run", false)
	if got := w.zrmCalls(); len(got) != 0 {
		t.Fatalf("unchanged marks written again: %+v", got)
	}

	// The grace period grows: every due time moves and each tag follows.
	w.cycle(mode(reconcile.ModeMark, 48*time.Hour), "run", false)
	if got := w.zrmIDs(); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("after the due time moved: zrm calls for %v, want 1, 2, 3", got)
	}
	if got, want := w.simTags("1")[reconcile.TagTerminateAfter], t0.Add(48*time.Hour).Format(time.RFC3339); got != want {
		t.Errorf("due tag %s, want %s", got, want)
	}

	// 1 is kept by its owner, 2 protected by the config's tag, 3 stops being a candidate.
	w.sim.Mutate("1", func(in *zensim.SimInstance) { in.Tags["reaper-keep"] = "true" })
	w.sim.Mutate("2", func(in *zensim.SimInstance) { in.Tags["reaper-protect"] = "true" })
	w.sim.Mutate("3", func(in *zensim.SimInstance) { delete(in.Tags, "reaper-expires-at") })
	w.sim.ResetCalls()
	res = w.cycle(mode(reconcile.ModeMark, 48*time.Hour), "run", false)
	if got := w.zrmIDs(); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("removals: zrm calls for %v, want 1, 2, 3", got)
	}
	for _, id := range []string{"1", "2", "3"} {
		tags := w.simTags(id)
		if _, ok := tags[reconcile.TagTerminateAfter]; ok || tags[reconcile.TagReason] != "" || tags["owner"] != "ci" {
			t.Errorf("%s: tags %v, want no mark tags and the owner's tags kept", id, tags)
		}
	}
	for _, c := range w.zrmCalls() {
		if strings.Contains(string(c.Body), "replaceTags") {
			t.Errorf("a removal also set tags: %s", c.Body)
		}
	}
	w.sim.ResetCalls()
	w.cycle(mode(reconcile.ModeMark, 48*time.Hour), "run", false)
	if got := w.zrmCalls(); len(got) != 0 {
		t.Errorf("instances without mark tags got writes: %+v", got)
	}

	// Long past due, mark still never terminates.
	w.sim.Mutate("3", func(in *zensim.SimInstance) { in.Tags["reaper-expires-at"] = "2026-11-01" })
	for range 3 {
		w.clock.Advance(72 * time.Hour)
		res = w.cycle(mode(reconcile.ModeMark, 0), "run", false)
	}
	if e := entry(t, res, "3"); e.Action != reconcile.ActionWouldTerminate {
		t.Errorf("3 past due in mark mode: %s, want would_terminate", e.Action)
	}
	w.wantTerminateCalls()
}

// TestEnforceTerminatesDueAndMarksTheRest: enforce terminates the due instance (with no tag write
// on it) and marks the one still inside its grace period.
func TestEnforceTerminatesDueAndMarksTheRest(t *testing.T) {
	w := newWorld(t, []zensim.FleetInstance{expired("1"), healthy("2")})
	w.cycle(mode(reconcile.ModeEnforce, 24*time.Hour), "run", false)
	w.wantTerminateCalls()
	if got := w.zrmIDs(); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("zrm calls for %v, want 1", got)
	}
	w.clock.Advance(25 * time.Hour)
	w.sim.Mutate("2", func(in *zensim.SimInstance) { in.Tags["reaper-expires-at"] = "2026-11-01" })
	w.sim.ResetCalls()
	res := w.cycle(mode(reconcile.ModeEnforce, 24*time.Hour), "run", false)
	w.wantTerminateCalls("1")
	if e := entry(t, res, "1"); e.Action != reconcile.ActionTerminated {
		t.Errorf("1: %s, want terminated", e.Action)
	}
	if e := entry(t, res, "2"); e.Action != reconcile.ActionMarked {
		t.Errorf("2: %s, want marked", e.Action)
	}
	if got := w.zrmIDs(); !slices.Equal(got, []string{"2"}) {
		t.Errorf("zrm calls for %v, want 2 only (no write on the instance being terminated)", got)
	}
	if got := w.simTags("2")[reconcile.TagTerminateAfter]; got != t0.Add(49*time.Hour).Format(time.RFC3339) {
		t.Errorf("2: due tag %q", got)
	}
}

// TestFailingTagWritesDoNotStopTheCycle: zrm failing (a 500 on every attempt, an instance that
// cannot carry tags) costs the marks, never the cycle: the due instance is still terminated,
// each failure is a warning on its entry and a failed TagWrite.
func TestFailingTagWritesDoNotStopTheCycle(t *testing.T) {
	w := newWorld(t, []zensim.FleetInstance{expired("1"), expired("2"), expired("3", func(in *zensim.FleetInstance) { in.TagsLocked = true })})
	w.sim.SetFault("ModifyResourceTags", zensim.Fault{HTTPStatus: 500, Count: harnessAttempts})
	res := w.cycle(mode(reconcile.ModeEnforce, 24*time.Hour), "run", false)
	if res.Status != reconcile.StatusOK || res.Err != nil {
		t.Fatalf("status %s, err %v: failed tag writes must not fail the cycle", res.Status, res.Err)
	}
	failed := map[string]string{}
	for _, tw := range res.TagWrites {
		if tw.Result == reconcile.TagWriteFailed {
			failed[tw.InstanceID] = tw.Err
		}
	}
	if len(failed) != 2 || !strings.Contains(failed["3"], "INVALID_RESOURCE_CAN_NOT_BOUND") {
		t.Fatalf("failed writes %v, want the first (500 three times) and 3 (cannot bind)", failed)
	}
	for id := range failed {
		e := entry(t, res, id)
		if e.Action != reconcile.ActionMarked || !slices.ContainsFunc(e.Warn(), func(r policy.Reason) bool {
			return strings.HasPrefix(r.Reason, "mark tags not written: ")
		}) {
			t.Errorf("%s: %s warnings %v, want marked with the failed write as a warning", id, e.Action, e.Warn())
		}
	}
	// The next cycle retries what failed and terminates what is due, whatever zrm does.
	w.sim.SetFault("ModifyResourceTags", zensim.Fault{HTTPStatus: 500})
	w.clock.Advance(25 * time.Hour)
	res = w.cycle(mode(reconcile.ModeEnforce, 24*time.Hour), "run", false)
	if res.Status != reconcile.StatusOK {
		t.Fatalf("status %s: %v", res.Status, res.Err)
	}
	w.wantTerminateCalls("1", "2", "3")
}

// sneaky reads reaper's own mark tags, in the map and the list and in any spelling: it nominates
// what carries reaper-terminate-after and exempts what carries reaper-reason.
const sneaky = `package reaper.sneaky

terminate contains "carries reaper-terminate-after" if {
	some t in input.instance.tag_list
	lower(trim_space(t.key)) == "reaper-terminate-after"
}

terminate contains "carries reaper-terminate-after (map)" if {
	some k, _ in input.instance.tags
	lower(trim_space(k)) == "reaper-terminate-after"
}

terminate contains "doomed" if input.instance.tags.doomed == "yes"

exempt contains "carries reaper-reason" if {
	some t in input.instance.tag_list
	lower(trim_space(t.key)) == "reaper-reason"
}
`

// TestPolicyReadingMarkTagsDecidesNothing: a Rego policy keyed on reaper's mark tags can neither
// nominate nor exempt; the stale marks on the instance it would nominate are removed.
func TestPolicyReadingMarkTagsDecidesNothing(t *testing.T) {
	marked := healthy("1")
	marked.Tags[reconcile.TagTerminateAfter] = "2026-11-01T00:00:00Z"
	marked.Tags[" Reaper-Terminate-After"] = "2026-11-01T00:00:00Z"
	doomed := healthy("2")
	doomed.Tags["doomed"] = "yes"
	doomed.Tags["REAPER-REASON "] = "keep me"
	w := newWorld(t, []zensim.FleetInstance{marked, doomed})
	engine, err := policy.Load(context.Background(), policy.Options{FS: fstest.MapFS{"sneaky.rego": {Data: []byte(sneaky)}}})
	if err != nil {
		t.Fatal(err)
	}
	w.engine = engine
	res := w.cycle(mode(reconcile.ModeEnforce, 0), "run", false)
	if e := entry(t, res, "1"); e.Action != reconcile.ActionKept || len(e.Terminate()) != 0 {
		t.Errorf("1: %s %v, want kept: a mark tag must not nominate", e.Action, e.Terminate())
	}
	if e := entry(t, res, "2"); e.Action != reconcile.ActionTerminated || len(e.Exempt()) != 0 {
		t.Errorf("2: %s %v, want terminated: a mark tag must not exempt", e.Action, e.Exempt())
	}
	w.wantTerminateCalls("2")
	if tags := w.simTags("1"); len(tags) != 1 || tags["owner"] != "web" {
		t.Errorf("1: tags %v, want the stale marks (both spellings) removed", tags)
	}
}
