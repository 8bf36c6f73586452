package reconcile

import (
	"context"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// TestApplyLostFenceLeavesThePlanUnclaimed: the plan's claim is a write to the shared state, as
// the marks are: a reaper that no longer leads (its fence fails) must not make it. Otherwise a
// leader cut off during an apply claims the plan it then cannot act on (its first intent's fence
// fails): the plan is burnt with nothing terminated, and the next leader, seeing the claim name
// that run, records the approval as applied by it.
func TestApplyLostFenceLeavesThePlanUnclaimed(t *testing.T) {
	a, b := inst("a"), inst("b")
	h := newHarness(t, []zen.Instance{a, b}, nil)
	h.rec.opts.Fence = &countingFence{failAt: 1}
	l := &memLedger{m: map[string]string{}}
	res, err := h.rec.Apply(context.Background(), applyCycle("apply-1", a, b), l)
	if res == nil || res.Status != StatusAborted || err == nil || !strings.Contains(err.Error(), "leadership lost") {
		t.Fatalf("Apply after a lost fence = %+v, %v; want aborted, leadership lost", res, err)
	}
	if len(h.api.terminated) != 0 {
		t.Errorf("terminated %v after a lost fence", h.api.terminated)
	}
	if v, ok := l.m[AppliedKey("plan-1")]; ok {
		t.Errorf("the plan was claimed (%q) by a reaper that no longer leads", v)
	}
	// The leader applies it.
	h.rec.opts.Fence = &countingFence{}
	if _, err := h.rec.Apply(context.Background(), applyCycle("apply-2", a, b), l); err != nil || len(h.api.terminated) != 2 {
		t.Errorf("the leader's apply: %v, terminated %v; want both", err, h.api.terminated)
	}
}
