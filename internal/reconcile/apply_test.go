package reconcile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// memLedger is an in-memory Ledger.
type memLedger struct {
	mu sync.Mutex
	m  map[string]string
}

func (l *memLedger) Meta(k string) (string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.m[k]
	return v, ok, nil
}

func (l *memLedger) ClaimMeta(k, v string) (string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.m[k]; ok {
		return old, false, nil
	}
	l.m[k] = v
	return "", true, nil
}

// testFingerprint stands in for plan.Fingerprint: the doomed and owner tags and the status.
func testFingerprint(in zen.Instance) string {
	doomed, _ := in.TagList.Value("doomed")
	owner, _ := in.TagList.Value("owner")
	return string(in.Status) + "|" + doomed + "|" + owner
}

func applyCycle(runID string, ins ...zen.Instance) ApplyCycle {
	c := ApplyCycle{RunID: runID, PlanRunID: "plan-1", InventorySize: 100, Fingerprint: testFingerprint}
	for _, in := range ins {
		c.Items = append(c.Items, ApplyItem{ID: in.ID, Name: in.Name, DueAt: t0.Add(-1),
			Reasons: []policy.Reason{{Policy: "reaper.test", Reason: "doomed"}}, Fingerprint: testFingerprint(in)})
	}
	return c
}

// TestApplyActsOnItemsOnly: only the plan's items are considered (nothing is listed), a changed
// one is skipped as changed, a guard still holds, and each call follows its intent.
func TestApplyActsOnItemsOnly(t *testing.T) {
	a, b, c, other := inst("a"), inst("b"), inst("c"), inst("d")
	h := newHarness(t, []zen.Instance{a, b, c, other}, nil)
	cyc := applyCycle("apply-1", a, b, c)
	h.api.instances[1].TagList = zen.Tags{{Key: "doomed", Value: "yes"}, {Key: "owner", Value: "new"}}           // b changed
	h.api.instances[2].TagList = zen.Tags{{Key: "doomed", Value: "yes"}, {Key: "reaper-protect", Value: "true"}} // c: same fingerprint, a guard
	h.api.list = func() ([]zen.Instance, error) { return nil, errors.New("no listing") }                         // apply never lists
	l := &memLedger{m: map[string]string{}}
	res, err := h.rec.Apply(context.Background(), cyc, l)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !slices.Equal(h.api.terminated, []string{"a"}) {
		t.Errorf("terminated %v, want [a]", h.api.terminated)
	}
	if e := res.entry(t, "b"); e.Action != ActionSkipped || e.SkipReason != SkipChanged {
		t.Errorf("b: %s %s, want skipped changed", e.Action, e.SkipReason)
	}
	if e := res.entry(t, "c"); e.Action != ActionSkipped || e.SkipReason != SkipChanged {
		t.Errorf("c: %s %s, want skipped changed (protected since)", e.Action, e.SkipReason)
	}
	if len(res.Entries) != 3 || res.Command != CommandApply || res.PlanRunID != "plan-1" {
		t.Errorf("result: %d entries, command %s, plan %s", len(res.Entries), res.Command, res.PlanRunID)
	}
	var intents []string
	for _, in := range h.store.intents {
		intents = append(intents, in.InstanceID)
	}
	if got := intents; !slices.Equal(got, []string{"a"}) {
		t.Errorf("intents %v, want [a]", got)
	}
}

// TestApplyAtMostOnce: an apply whose calls failed leaves the plan applied (fail closed: a new
// plan is needed); a second apply is refused before any call.
func TestApplyAtMostOnce(t *testing.T) {
	a, b := inst("a"), inst("b")
	h := newHarness(t, []zen.Instance{a, b}, nil)
	h.api.terminate = func(id string) (string, error) { return "", errors.New("connection reset") }
	l := &memLedger{m: map[string]string{}}
	res, err := h.rec.Apply(context.Background(), applyCycle("apply-1", a, b), l)
	if res == nil || res.Failures() != 2 {
		t.Fatalf("Apply with failing calls: %v, %+v; want two failures", err, res)
	}
	calls := len(h.api.terminated)
	h.api.terminate = nil
	res, err = h.rec.Apply(context.Background(), applyCycle("apply-2", a, b), l)
	var refused *RefusedError
	if res != nil || !errors.As(err, &refused) || !strings.Contains(err.Error(), "already applied") {
		t.Fatalf("second Apply = %v, %v; want refused as already applied", res, err)
	}
	if len(h.api.terminated) != calls {
		t.Errorf("the refused apply called TerminateInstance")
	}
}

// TestApplyNeedsApproveOrEnforce: in dry-run and mark mode Apply refuses and touches nothing.
func TestApplyNeedsApproveOrEnforce(t *testing.T) {
	for _, mode := range []string{ModeDryRun, ModeMark, "", "bogus"} {
		a := inst("a")
		h := newHarness(t, []zen.Instance{a}, func(s *Settings) { s.Mode = mode })
		l := &memLedger{m: map[string]string{}}
		res, err := h.rec.Apply(context.Background(), applyCycle("apply-1", a), l)
		var refused *RefusedError
		if res != nil || !errors.As(err, &refused) || len(h.api.described) != 0 || len(l.m) != 0 {
			t.Errorf("mode %q: Apply = %v, %v, %d describes; want refused, nothing touched", mode, res, err, len(h.api.described))
		}
	}
	for _, mode := range []string{ModeApprove, ModeEnforce} {
		a := inst("a")
		h := newHarness(t, []zen.Instance{a}, func(s *Settings) { s.Mode = mode })
		if _, err := h.rec.Apply(context.Background(), applyCycle("apply-1", a), &memLedger{m: map[string]string{}}); err != nil || len(h.api.terminated) != 1 {
			t.Errorf("mode %s: Apply = %v, terminated %v", mode, err, h.api.terminated)
		}
	}
}

// TestApplyBlockedKeepsPlan: a blocked apply terminates nothing and does not consume the plan.
func TestApplyBlockedKeepsPlan(t *testing.T) {
	a, b := inst("a"), inst("b")
	h := newHarness(t, []zen.Instance{a, b}, func(s *Settings) { s.MaxTerminationsPercent = 1 })
	l := &memLedger{m: map[string]string{}}
	res, _ := h.rec.Apply(context.Background(), applyCycle("apply-1", a, b), l) // 2 of 100 > 1%
	if res.Status != StatusBlocked || res.Block.Limit != LimitPercent || len(h.api.terminated) != 0 || len(l.m) != 0 {
		t.Errorf("status %s block %+v terminated %v ledger %v; want blocked by percent, nothing done", res.Status, res.Block, h.api.terminated, l.m)
	}
}
