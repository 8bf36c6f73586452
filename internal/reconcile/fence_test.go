package reconcile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// countingFence fails from its failAt-th call on (never when failAt is 0).
type countingFence struct {
	calls  int
	failAt int
}

func (f *countingFence) Fence(ctx context.Context) error {
	f.calls++
	if f.failAt > 0 && f.calls >= f.failAt {
		return errors.New("lock not held")
	}
	return nil
}

func TestFenceBeforeEveryIntentAndCall(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	f := &countingFence{}
	h.rec.opts.Fence = f
	var fencesAtCall []int
	h.api.terminate = func(id string) (string, error) {
		fencesAtCall = append(fencesAtCall, f.calls)
		return "T-" + id, nil
	}
	res := h.cycle(t, false)
	if res.Status != StatusOK {
		t.Fatalf("status = %s, err = %v", res.Status, res.Err)
	}
	if want := []int{3, 5, 7}; !slices.Equal(fencesAtCall, want) {
		t.Errorf("fences made before each call = %v, want %v (one before the marks, one before each intent, one before each call)", fencesAtCall, want)
	}
}

func TestLostFenceStopsActingAndAborts(t *testing.T) {
	tests := []struct {
		name       string
		failAt     int
		wantCalls  []string
		wantOpen   []string // intents left without an outcome, for the next leader to resolve
		unconfirm  string   // the entry whose accepted call could not be confirmed
		notReached []string
		noAct      bool // the cycle ends before act: no describe
	}{
		{name: "before the marks", failAt: 1, noAct: true},
		{name: "before the first intent", failAt: 2, notReached: []string{"000", "001", "002"}},
		{name: "between intent and call", failAt: 3, wantOpen: []string{"000"}, notReached: []string{"000", "001", "002"}},
		{name: "after a call", failAt: 4, wantCalls: []string{"000"}, wantOpen: []string{"000"}, unconfirm: "000", notReached: []string{"001", "002"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fleet(3), nil)
			h.rec.opts.Fence = &countingFence{failAt: tt.failAt}
			res := h.cycle(t, false)
			if res.Status != StatusAborted || res.Err == nil || !strings.Contains(res.Err.Error(), "leadership lost") {
				t.Fatalf("status = %s, err = %v; want aborted, leadership lost", res.Status, res.Err)
			}
			if got := h.api.calls(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("TerminateInstance calls = %v, want %v", got, tt.wantCalls)
			}
			if n := len(h.api.described); n != 1 && !tt.noAct || n != 0 && tt.noAct { // the re-check before acting; no confirm describe
				t.Errorf("%d describes, want only the re-check before acting: %v", n, h.api.described)
			}
			var open []string
			for _, in := range h.store.intents {
				if in.Outcome == nil {
					open = append(open, in.InstanceID)
				}
			}
			if !slices.Equal(open, tt.wantOpen) {
				t.Errorf("open intents = %v, want %v", open, tt.wantOpen)
			}
			if tt.unconfirm != "" {
				if e := res.entry(t, tt.unconfirm); e.Action != ActionUnconfirmed || !strings.Contains(e.ErrorText(), "leadership was lost") {
					t.Errorf("%s = %s %q, want unconfirmed, leadership was lost", tt.unconfirm, e.Action, e.ErrorText())
				}
			}
			for _, id := range tt.notReached {
				if e := res.entry(t, id); e.Action != ActionSkipped || e.SkipReason != SkipNotAttempted {
					t.Errorf("%s = %s/%s, want skipped/not_attempted", id, e.Action, e.SkipReason)
				}
			}
		})
	}
}

// TestLostFenceWritesNoTagsAndSendsNothing: a leader that lost its leadership while acting writes
// no mark tags afterwards (another reaper leads and owns them) and its cycle may send no owner
// notices; in mark mode, where nothing is terminated, a lost fence stops the tag writes too.
func TestLostFenceWritesNoTagsAndSendsNothing(t *testing.T) {
	for _, mode := range []string{ModeEnforce, ModeMark} {
		t.Run(mode, func(t *testing.T) {
			h, tags := newTagHarness(t, mode, time.Hour, inst("old", tagged("doomed", "yes")))
			h.cycle(t, false)
			tags.take()
			h.now = h.now.Add(2 * time.Hour) // old is due; new is a fresh candidate that wants its tags
			h.api.mu.Lock()
			h.api.instances = append(h.api.instances, inst("new", tagged("doomed", "yes")))
			h.api.mu.Unlock()
			h.rec.opts.Fence = &countingFence{failAt: 1}
			res := h.cycle(t, false)
			if res.Status != StatusAborted || res.Err == nil || !strings.Contains(res.Err.Error(), "leadership lost") {
				t.Fatalf("status = %s, err = %v; want aborted, leadership lost", res.Status, res.Err)
			}
			if got := tags.take(); len(got) != 0 {
				t.Errorf("a fenced-out leader wrote mark tags: %+v", got)
			}
			if res.Permissions.Notices || res.Permissions.Tags {
				t.Errorf("permissions after a lost fence = %+v; want no tags and no notices", res.Permissions)
			}
			if got := h.api.calls(); len(got) != 0 {
				t.Errorf("TerminateInstance calls = %v, want none", got)
			}
		})
	}
}

// TestCycleFencesBeforeItsNotices: a cycle that may send owner notices proves its leadership once
// more at its end, even when it made no other call (mark mode, nothing to tag): a reaper that no
// longer leads sends no notices and keeps no notice memory; the leader does.
func TestCycleFencesBeforeItsNotices(t *testing.T) {
	h := newHarness(t, fleet(2), func(s *Settings) { s.Mode, s.GracePeriod = ModeMark, time.Hour })
	h.rec.opts.Fence = &countingFence{failAt: 1}
	res := h.cycle(t, false)
	if res.Status != StatusAborted || res.Err == nil || !strings.Contains(res.Err.Error(), "leadership lost") {
		t.Fatalf("status = %s, err = %v; want aborted, leadership lost", res.Status, res.Err)
	}
	if res.Permissions.Notices || res.Permissions.Tags {
		t.Errorf("permissions after a lost fence = %+v; want no tags and no notices", res.Permissions)
	}
	h.rec.opts.Fence = &countingFence{}
	if res := h.cycle(t, false); res.Status != StatusOK || !res.Permissions.Notices {
		t.Errorf("leader's cycle: status %s, permissions %+v; want ok with notices", res.Status, res.Permissions)
	}
}

// TestLostFenceWritesNoMarks: a reaper that lost its leadership before the plan step does not
// replace the shared marks with its own view (it could bring back a mark the leader dropped, and
// with it an old first-seen time: an instance due early), and does no housekeeping in the shared
// state (unconfirmed backoffs, traffic, intents).
func TestLostFenceWritesNoMarks(t *testing.T) {
	h := newHarness(t, fleet(2), func(s *Settings) { s.GracePeriod = time.Hour })
	h.cycle(t, false) // the leader's marks
	before, _ := h.store.Marks()
	must(t, h.store.PutUnconfirmed(state.Unconfirmed{InstanceID: "gone", Attempts: 1, FirstAt: t0, LastAt: t0}))
	h.now = h.now.Add(10 * time.Minute)
	h.api.mu.Lock()
	h.api.instances = fleet(3) // the ex-leader's view has a new candidate
	h.api.mu.Unlock()
	h.rec.opts.Fence = &countingFence{failAt: 1}
	res := h.cycle(t, false)
	if res.Status != StatusAborted || res.Err == nil || !strings.Contains(res.Err.Error(), "leadership lost") {
		t.Fatalf("status = %s, err = %v; want aborted, leadership lost", res.Status, res.Err)
	}
	after, _ := h.store.Marks()
	if len(after) != len(before) {
		t.Errorf("marks after a cycle that lost its leadership: %d, want the leader's %d", len(after), len(before))
	}
	if u, _ := h.store.Unconfirmed(); len(u) != 1 {
		t.Errorf("unconfirmed backoffs after a cycle that lost its leadership: %v, want the leader's one kept", u)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLostFenceResolvesNoIntents: open intents may be the leader's calls in flight; a reaper that
// no longer leads neither describes nor resolves them.
func TestLostFenceResolvesNoIntents(t *testing.T) {
	h := newHarness(t, fleet(1), nil)
	must(t, h.store.PutIntent(state.Intent{RunID: "run-leader", InstanceID: "000", CreatedAt: t0}))
	h.rec.opts.Fence = &countingFence{failAt: 1}
	res := h.cycle(t, false)
	if res.Status != StatusAborted || res.Err == nil || !strings.Contains(res.Err.Error(), "leadership lost") {
		t.Fatalf("status = %s, err = %v; want aborted, leadership lost", res.Status, res.Err)
	}
	if open, _ := h.store.OpenIntents(); len(open) != 1 {
		t.Errorf("open intents = %v, want the leader's one left open", open)
	}
	if n := len(h.api.described); n != 0 {
		t.Errorf("%d describes by a reaper that no longer leads: %v", n, h.api.described)
	}
}
