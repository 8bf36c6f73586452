package reconcile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// nominateEvaluator gives one terminate reason per policy listed, comma-separated, in the tag
// "nominate" (policy names without the "reaper." prefix).
type nominateEvaluator struct{}

func (nominateEvaluator) Evaluate(ctx context.Context, now time.Time, params map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	out := make([]policy.Decision, len(in))
	for i, x := range in {
		out[i].InstanceID = x.ID
		for p := range strings.SplitSeq(tagValue(&x, "nominate"), ",") {
			if p != "" {
				out[i].Terminate = append(out[i].Terminate, policy.Reason{Policy: "reaper." + p, Reason: p + " says so"})
			}
		}
	}
	return out, nil
}

// nominated returns an instance "a" that the policies in list nominate.
func nominated(list string) zen.Instance {
	return inst("a", func(in *zen.Instance) { in.TagList = zen.Tags{{Key: "nominate", Value: list}} })
}

// newMarkHarness is a harness with a 24h grace period whose policies follow the "nominate" tag.
func newMarkHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, []zen.Instance{nominated("")}, func(s *Settings) { s.GracePeriod = 24 * time.Hour })
	h.rec.opts.Evaluator = nominateEvaluator{}
	return h
}

// markStep is one acting cycle at t0+at with the given policies nominating, and what it must show.
type markStep struct {
	at         time.Duration
	nominate   string
	want       Action
	wantMarked time.Duration // offsets from t0 of the deciding mark; ignored unless marked or due
	wantDue    time.Duration
}

func TestGraceIsPerPolicy(t *testing.T) {
	const h = time.Hour
	tests := []struct {
		name  string
		steps []markStep
	}{
		{"A stops when B starts: B's own grace", []markStep{
			{0, "a", ActionMarked, 0, 24 * h},
			{23 * h, "b", ActionMarked, 23 * h, 47 * h},
			{24 * h, "b", ActionMarked, 23 * h, 47 * h},
			{47*h - time.Second, "b", ActionMarked, 23 * h, 47 * h},
			{47 * h, "b", ActionTerminated, 23 * h, 47 * h},
		}},
		{"A stops an hour after B starts", []markStep{
			{0, "a", ActionMarked, 0, 24 * h},
			{23 * h, "a,b", ActionMarked, 0, 24 * h},
			{24 * h, "b", ActionMarked, 23 * h, 47 * h},
			{46 * h, "b", ActionMarked, 23 * h, 47 * h},
			{47 * h, "b", ActionTerminated, 23 * h, 47 * h},
		}},
		{"A continues: A decides", []markStep{
			{0, "a", ActionMarked, 0, 24 * h},
			{23 * h, "a,b", ActionMarked, 0, 24 * h},
			{24 * h, "a,b", ActionTerminated, 0, 24 * h},
		}},
		{"B first, then A: the earliest mark decides", []markStep{
			{0, "b", ActionMarked, 0, 24 * h},
			{1 * h, "a,b", ActionMarked, 0, 24 * h},
			{24 * h, "b,a", ActionTerminated, 0, 24 * h},
		}},
		{"A comes back after a gap while B stays", []markStep{
			{0, "a", ActionMarked, 0, 24 * h},
			{1 * h, "a,b", ActionMarked, 0, 24 * h},
			{2 * h, "b", ActionMarked, 1 * h, 25 * h},
			{3 * h, "a,b", ActionMarked, 1 * h, 25 * h},
			{24 * h, "a,b", ActionMarked, 1 * h, 25 * h},
			{25 * h, "a,b", ActionTerminated, 1 * h, 25 * h},
		}},
		{"nobody nominates: every mark goes", []markStep{
			{0, "a,b", ActionMarked, 0, 24 * h},
			{1 * h, "", ActionKept, 0, 0},
			{2 * h, "b", ActionMarked, 2 * h, 26 * h},
			{25 * h, "a,b", ActionMarked, 2 * h, 26 * h},
			{26 * h, "a,b", ActionTerminated, 2 * h, 26 * h},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := newMarkHarness(t)
			for _, s := range tt.steps {
				hr.now = t0.Add(s.at)
				hr.api.instances = []zen.Instance{nominated(s.nominate)}
				e := hr.cycle(t, false).entry(t, "a")
				if e.Action != s.want {
					t.Fatalf("at t0+%v (%q): action %s, want %s", s.at, s.nominate, e.Action, s.want)
				}
				if s.want == ActionKept {
					if e.MarkedAt() != nil || e.DueAt() != nil {
						t.Fatalf("at t0+%v: kept with marked_at %v due_at %v", s.at, e.MarkedAt(), e.DueAt())
					}
					continue
				}
				if e.MarkedAt() == nil || e.DueAt() == nil || !e.MarkedAt().Equal(t0.Add(s.wantMarked)) || !e.DueAt().Equal(t0.Add(s.wantDue)) {
					t.Fatalf("at t0+%v (%q): marked_at %v due_at %v, want t0+%v and t0+%v",
						s.at, s.nominate, e.MarkedAt(), e.DueAt(), s.wantMarked, s.wantDue)
				}
			}
			if got := len(hr.api.calls()); got != 1 {
				t.Errorf("TerminateInstance calls = %d, want exactly 1 (at the last step)", got)
			}
		})
	}
}

// TestRecheckRequiresDuePolicy: the re-check before acting must find a policy whose own mark is
// due still nominating on the fresh data; a policy that only just started nominating is not enough.
func TestRecheckRequiresDuePolicy(t *testing.T) {
	tests := []struct {
		name     string
		grace    time.Duration
		fresh    string // the nominating policies in the re-check's describe
		wantCall bool
	}{
		{"the due policy still nominates", 24 * time.Hour, "a", true},
		{"the due policy and a new one", 24 * time.Hour, "c,a", true},
		{"only a policy marked inside its grace", 24 * time.Hour, "b", false},
		{"only a policy never marked", 24 * time.Hour, "c", false},
		{"no grace: any nominating policy is due", 0, "c", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMarkHarness(t)
			h.rec.opts.Settings.GracePeriod = tt.grace
			h.api.instances = []zen.Instance{nominated("a")}
			h.cycle(t, true)
			h.now = t0.Add(23 * time.Hour)
			h.api.instances = []zen.Instance{nominated("a,b")}
			h.cycle(t, true)

			h.now = t0.Add(24 * time.Hour)
			h.api.describe = func([]string) ([]zen.Instance, error) { return []zen.Instance{nominated(tt.fresh)}, nil }
			e := h.cycle(t, false).entry(t, "a")
			called := len(h.api.calls()) == 1
			if called != tt.wantCall {
				t.Fatalf("terminate called = %v, want %v (entry %s/%s, warn %v)", called, tt.wantCall, e.Action, e.SkipReason, e.Warn())
			}
			if !tt.wantCall && (e.Action != ActionSkipped || e.SkipReason != SkipChanged) {
				t.Errorf("entry = %s/%s, want skipped/changed", e.Action, e.SkipReason)
			}
		})
	}
}

// TestMarksPerPolicyStored: each nominating policy has its own stored mark; a policy that joins
// gets a new mark (the entry shows it, so it can be announced), one that stops loses its own.
func TestMarksPerPolicyStored(t *testing.T) {
	h := newMarkHarness(t)
	key := func(p string) state.MarkKey { return state.MarkKey{InstanceID: "a", Policy: p} }
	type want struct {
		policy string
		marked time.Duration
	}
	steps := []struct {
		at       time.Duration
		nominate string
		want     []want // deciding mark first
	}{
		{0, "a", []want{{"reaper.a", 0}}},
		{23 * time.Hour, "a,b", []want{{"reaper.a", 0}, {"reaper.b", 23 * time.Hour}}},
		{24 * time.Hour, "b", []want{{"reaper.b", 23 * time.Hour}}},
		{25 * time.Hour, "a,b", []want{{"reaper.b", 23 * time.Hour}, {"reaper.a", 25 * time.Hour}}},
	}
	for _, s := range steps {
		h.now = t0.Add(s.at)
		h.api.instances = []zen.Instance{nominated(s.nominate)}
		e := h.cycle(t, true).entry(t, "a")
		if len(e.Marks()) != len(s.want) {
			t.Fatalf("at t0+%v: marks %+v, want %v", s.at, e.Marks(), s.want)
		}
		for i, w := range s.want {
			m := e.Marks()[i]
			if m.Policy != w.policy || !m.MarkedAt.Equal(t0.Add(w.marked)) || !m.DueAt.Equal(t0.Add(w.marked+24*time.Hour)) {
				t.Errorf("at t0+%v: mark %d = %+v, want %s marked at t0+%v", s.at, i, m, w.policy, w.marked)
			}
			stored, ok := h.store.marks[key(w.policy)]
			if !ok || !stored.FirstSeen.Equal(t0.Add(w.marked)) || len(stored.Reasons) != 1 {
				t.Errorf("at t0+%v: stored mark of %s = %+v (found %v)", s.at, w.policy, stored, ok)
			}
		}
		if len(h.store.marks) != len(s.want) {
			t.Errorf("at t0+%v: %d stored marks %v, want %d", s.at, len(h.store.marks), h.store.marks, len(s.want))
		}
	}
}
