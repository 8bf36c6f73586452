package reconcile

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestTook(t *testing.T) {
	tests := []struct {
		name  string
		in    zen.Instance
		found bool
		want  bool
		seen  string
	}{
		{"absent (CREATE_FAILED is deleted at once)", zen.Instance{}, false, true, "absent"},
		{"recycle bin", inst("a", withStatus(zen.StatusRecycle)), true, true, "RECYCLE"},
		{"on its way to the bin", inst("a", withStatus(zen.StatusRecycling)), true, true, "RECYCLING"},
		{"prepaid, auto-renew off", inst("a", withCharge(zen.ChargePrepaid), withAutoRenew(false)), true, true, "subscription cancelled"},
		{"prepaid, auto-renew still on", inst("a", withCharge(zen.ChargePrepaid), withAutoRenew(true)), true, false, "RUNNING"},
		{"prepaid, auto-renew absent", inst("a", withCharge(zen.ChargePrepaid)), true, false, "RUNNING"},
		{"postpaid still running", inst("a"), true, false, "RUNNING"},
		{"postpaid still stopped", inst("a", withStatus(zen.StatusStopped)), true, false, "STOPPED"},
		{"create failed still there", inst("a", withStatus(zen.StatusCreateFailed)), true, false, "CREATE_FAILED"},
		{"no status", inst("a", withStatus("")), true, false, "UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, seen := took(tt.in, tt.found); got != tt.want || seen != tt.seen {
				t.Fatalf("took = %v, %q; want %v, %q", got, seen, tt.want, tt.seen)
			}
		})
	}
}

func TestUnconfirmedWait(t *testing.T) {
	tests := []struct {
		base     time.Duration
		attempts int
		want     time.Duration
	}{
		{6 * time.Hour, 0, 6 * time.Hour},
		{6 * time.Hour, 1, 6 * time.Hour},
		{6 * time.Hour, 2, 12 * time.Hour},
		{6 * time.Hour, 3, 24 * time.Hour},
		{6 * time.Hour, 6, 7 * 24 * time.Hour}, // 192h capped at a week
		{6 * time.Hour, 1000, 7 * 24 * time.Hour},
		{10 * 24 * time.Hour, 3, 10 * 24 * time.Hour}, // a base above the cap is kept
	}
	for _, tt := range tests {
		if got := unconfirmedWait(tt.base, tt.attempts); got != tt.want {
			t.Errorf("unconfirmedWait(%v, %d) = %v, want %v", tt.base, tt.attempts, got, tt.want)
		}
	}
}

// One describe after the batch settles every accepted call; terminated counts only what took.
func TestConfirmAfterBatch(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a"), inst("b"), inst("c")}, nil)
	h.api.notTaken = map[string]bool{"b": true}
	res := h.cycle(t, false)
	if got := []Action{res.entry(t, "a").Action, res.entry(t, "b").Action, res.entry(t, "c").Action}; !slices.Equal(got, []Action{ActionTerminated, ActionUnconfirmed, ActionTerminated}) {
		t.Fatalf("actions %v, want terminated, unconfirmed, terminated", got)
	}
	// recheck (a, b, c), then one confirming describe of the three accepted calls.
	if n := len(h.api.described); n != 2 || !slices.Equal(h.api.described[1], []string{"a", "b", "c"}) {
		t.Fatalf("describes %v, want the re-check and one confirmation of a, b, c", h.api.described)
	}
	b := res.entry(t, "b")
	if b.RequestID() != "T-b" || b.TerminatedAt() != nil || !strings.Contains(b.ErrorText(), "still RUNNING") {
		t.Errorf("b: request %q, terminated_at %v, error %q", b.RequestID(), b.TerminatedAt(), b.ErrorText())
	}
	if res.Failures() != 1 || res.Status != StatusOK {
		t.Errorf("failures %d status %s, want 1 failure in an ok cycle (exit 1)", res.Failures(), res.Status)
	}
	u, ok := h.store.unconfirmed["b"]
	if !ok || u.Attempts != 1 || u.RequestID != "T-b" || u.Observed != "RUNNING" || !u.LastAt.Equal(t0) {
		t.Errorf("backoff record %+v, want attempts 1 for T-b", u)
	}
	for _, in := range h.store.intents {
		want := OutcomeTerminated
		if in.InstanceID == "b" {
			want = OutcomeUnconfirmed
		}
		if in.Outcome == nil || in.Outcome.Result != want {
			t.Errorf("intent of %s: %+v, want %s", in.InstanceID, in.Outcome, want)
		}
	}
}

func TestConfirmDescribeFailureIsUnconfirmed(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a")}, nil)
	describes := 0
	h.api.describe = func(ids []string) ([]zen.Instance, error) {
		describes++
		if describes == 2 {
			return nil, errors.New("connection reset")
		}
		return []zen.Instance{inst("a")}, nil
	}
	res := h.cycle(t, false)
	e := res.entry(t, "a")
	if e.Action != ActionUnconfirmed || !strings.Contains(e.ErrorText(), "connection reset") {
		t.Fatalf("entry %s %q, want unconfirmed naming the describe failure", e.Action, e.ErrorText())
	}
	if _, ok := h.store.unconfirmed["a"]; !ok {
		t.Error("no backoff recorded")
	}
}

func TestConfirmStoreFailureFailsCycle(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a")}, nil)
	h.api.notTaken = map[string]bool{"a": true}
	h.store.failOn = "PutUnconfirmed"
	res := h.cycle(t, false)
	if res.Status != StatusFailed || res.Err == nil {
		t.Fatalf("status %s err %v, want failed", res.Status, res.Err)
	}
	if open := slices.DeleteFunc(slices.Clone(h.store.intents), func(in state.Intent) bool { return in.Outcome != nil }); len(open) != 1 {
		t.Errorf("open intents %v, want the unsettled one left for recovery", open)
	}
}

// Inside the backoff the instance is skipped before any call; the backoff grows; the record goes
// when a call finally takes.
func TestUnconfirmedBackoff(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a")}, func(s *Settings) { s.UnconfirmedRetryAfter = time.Hour })
	h.api.notTaken = map[string]bool{"a": true}
	steps := []struct {
		at    time.Duration
		want  Action
		calls int
	}{
		{0, ActionUnconfirmed, 1},
		{59 * time.Minute, ActionSkipped, 1},
		{time.Hour, ActionUnconfirmed, 2},               // 1h after the first
		{time.Hour + 119*time.Minute, ActionSkipped, 2}, // 2h backoff after the second
		{3 * time.Hour, ActionUnconfirmed, 3},           // then 4h
		{7*time.Hour - time.Minute, ActionSkipped, 3},   //
		{7 * time.Hour, ActionUnconfirmed, 4},           //
	}
	for _, s := range steps {
		h.now = t0.Add(s.at)
		res := h.cycle(t, false)
		e := res.entry(t, "a")
		if e.Action != s.want || (s.want == ActionSkipped && e.SkipReason != SkipUnconfirmed) {
			t.Fatalf("at +%v: %s/%s, want %s", s.at, e.Action, e.SkipReason, s.want)
		}
		if n := len(h.api.calls()); n != s.calls {
			t.Fatalf("at +%v: %d calls, want %d", s.at, n, s.calls)
		}
		if s.want == ActionSkipped && res.Failures() != 0 {
			t.Fatalf("at +%v: a skipped backoff counts as a failure", s.at)
		}
	}
	if u := h.store.unconfirmed["a"]; u.Attempts != 4 || !u.FirstAt.Equal(t0) {
		t.Fatalf("record %+v, want 4 attempts since t0", u)
	}
	h.api.notTaken = nil
	h.now = t0.Add(15 * time.Hour)
	if e := h.cycle(t, false).entry(t, "a"); e.Action != ActionTerminated {
		t.Fatalf("after the API mended: %s", e.Action)
	}
	if len(h.store.unconfirmed) != 0 {
		t.Fatalf("records %v after a confirmed termination, want none", h.store.unconfirmed)
	}
}

func TestUnconfirmedForgotten(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*harness)
		after  time.Duration
	}{
		{"absent", func(h *harness) { h.api.instances = nil }, time.Hour},
		{"took late", func(h *harness) { h.api.instances[0].Status = zen.StatusRecycle }, time.Hour},
		// Not nominated is a decision only on full data: once the backoff is over (a backed-off
		// instance gets no traffic, so the idle policy could not nominate it).
		{"no longer a candidate", func(h *harness) { deleteTag(&h.api.instances[0], "doomed") }, DefaultUnconfirmedRetryAfter},
		{"exempt", func(h *harness) { setTag(&h.api.instances[0], "keep", "yes") }, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []zen.Instance{inst("a"), inst("b", withTag("doomed", "no"))}, nil)
			h.api.notTaken = map[string]bool{"a": true}
			h.cycle(t, false)
			if _, ok := h.store.unconfirmed["a"]; !ok {
				t.Fatal("no backoff after the first cycle")
			}
			tt.mutate(h)
			h.now = t0.Add(tt.after)
			h.cycle(t, false)
			if _, ok := h.store.unconfirmed["a"]; ok {
				t.Fatal("backoff kept")
			}
		})
	}
}

func withAutoRenew(on bool) func(*zen.Instance) {
	return func(in *zen.Instance) { in.AutoRenew = &on }
}
