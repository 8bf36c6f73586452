package reconcile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestDryRunNeverCalls(t *testing.T) {
	h := newHarness(t, fleet(5), nil)
	for _, cmd := range []string{"run", "plan"} {
		res, err := h.rec.Run(context.Background(), Cycle{RunID: cmd, Command: cmd, DryRun: cmd == "run"})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Count()[ActionWouldTerminate]; got != 5 {
			t.Errorf("%s: would_terminate = %d, want 5", cmd, got)
		}
	}
	if got := h.api.calls(); len(got) != 0 {
		t.Fatalf("TerminateInstance calls in dry-run = %v, want none", got)
	}
	if len(h.store.intents) != 0 {
		t.Errorf("intents recorded in dry-run: %d", len(h.store.intents))
	}
}

func TestPlanIsDryEvenWhenAskedToAct(t *testing.T) {
	h := newHarness(t, fleet(2), nil)
	res, _ := h.rec.Run(context.Background(), Cycle{RunID: "p", Command: "plan", DryRun: false})
	if !res.DryRun || len(h.api.calls()) != 0 {
		t.Fatalf("plan acted: dry_run=%v calls=%v", res.DryRun, h.api.calls())
	}
}

func TestActTerminatesDue(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a"), inst("b", withTag("doomed", "no")), inst("c", withTag("keep", "yes"))}, nil)
	res := h.cycle(t, false)
	if res.Status != StatusOK || res.Err != nil {
		t.Fatalf("status = %s, err = %v", res.Status, res.Err)
	}
	if got, want := h.api.calls(), []string{"a"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	e := res.entry(t, "a")
	if e.Action != ActionTerminated || e.RequestID() != "T-a" || e.TerminatedAt() == nil {
		t.Errorf("entry a = %s", entryText(e))
	}
	if got := res.entry(t, "b").Action; got != ActionKept {
		t.Errorf("b action = %s, want kept", got)
	}
	if got := res.entry(t, "c").Action; got != ActionExempt {
		t.Errorf("c action = %s, want exempt", got)
	}
	if len(h.store.intents) != 1 || h.store.intents[0].Outcome == nil || h.store.intents[0].Outcome.Result != OutcomeTerminated {
		t.Errorf("intents = %+v", h.store.intents)
	}
	if got := h.store.log; slices.Index(got, "PutIntent:a") > slices.Index(got, "CompleteIntent:a") {
		t.Errorf("intent recorded after outcome: %v", got)
	}
}

func TestGracePeriodMarks(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a")}, func(s *Settings) { s.GracePeriod = 24 * time.Hour })
	res := h.cycle(t, false)
	e := res.entry(t, "a")
	if e.Action != ActionMarked || !e.MarkedAt().Equal(t0) || !e.DueAt().Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("first cycle entry = %s marked=%v due=%v", e.Action, e.MarkedAt(), e.DueAt())
	}
	h.now = t0.Add(23 * time.Hour)
	if got := h.cycle(t, false).entry(t, "a"); got.Action != ActionMarked || !got.MarkedAt().Equal(t0) {
		t.Fatalf("inside grace: action %s marked %v, want marked at first sight", got.Action, got.MarkedAt())
	}
	if len(h.api.calls()) != 0 {
		t.Fatal("terminated inside the grace period")
	}
	h.now = t0.Add(24 * time.Hour)
	if got := h.cycle(t, false).entry(t, "a").Action; got != ActionTerminated {
		t.Fatalf("at due time: action %s, want terminated", got)
	}
}

func TestMarkDroppedWhenNoLongerCandidate(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a")}, func(s *Settings) { s.GracePeriod = 24 * time.Hour })
	h.cycle(t, true)
	setTag(&h.api.instances[0], "keep", "yes")
	h.now = t0.Add(time.Hour)
	h.cycle(t, true)
	if len(h.store.marks) != 0 {
		t.Fatalf("marks kept for an exempt instance: %v", h.store.marks)
	}
	deleteTag(&h.api.instances[0], "keep")
	h.now = t0.Add(25 * time.Hour)
	e := h.cycle(t, true).entry(t, "a")
	if e.Action != ActionMarked || !e.MarkedAt().Equal(h.now) {
		t.Fatalf("re-candidate: action %s marked %v, want a fresh mark at %v", e.Action, e.MarkedAt(), h.now)
	}
}

func TestBlastRadius(t *testing.T) {
	tests := []struct {
		name      string
		fleet     int
		doomed    int
		lastSize  int
		set       func(*Settings)
		wantLimit string
	}{
		{"per run", 100, 11, 0, func(s *Settings) { s.MaxTerminationsPerRun = 10 }, "max_terminations_per_run"},
		{"per run at the limit", 100, 10, 0, func(s *Settings) { s.MaxTerminationsPerRun = 10 }, ""},
		{"percent", 100, 11, 0, func(s *Settings) { s.MaxTerminationsPerRun = 50; s.MaxTerminationsPercent = 10 }, "max_terminations_percent"},
		{"percent at the limit", 100, 10, 0, func(s *Settings) { s.MaxTerminationsPerRun = 50; s.MaxTerminationsPercent = 10 }, ""},
		{"fleet drop", 40, 1, 100, func(s *Settings) { s.MaxFleetDropPercent = 50 }, "max_fleet_drop_percent"},
		{"fleet drop at the limit", 50, 1, 100, func(s *Settings) { s.MaxFleetDropPercent = 50 }, ""},
		{"fleet drop with nothing due", 40, 0, 100, func(s *Settings) { s.MaxFleetDropPercent = 50 }, "max_fleet_drop_percent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fleet(tt.fleet, withTag("doomed", "no"))
			for i := range tt.doomed {
				setTag(&in[i], "doomed", "yes")
			}
			h := newHarness(t, in, tt.set)
			if tt.lastSize > 0 {
				h.store.runs = append(h.store.runs, state.Run{ID: "prev", InventoryComplete: true, InventorySize: tt.lastSize})
			}
			res := h.cycle(t, false)
			if tt.wantLimit == "" {
				if res.Status != StatusOK || len(h.api.calls()) != tt.doomed {
					t.Fatalf("status %s, calls %d, want ok and %d", res.Status, len(h.api.calls()), tt.doomed)
				}
				return
			}
			if res.Status != StatusBlocked || res.Block == nil || res.Block.Limit != tt.wantLimit {
				t.Fatalf("status %s block %+v, want blocked by %s", res.Status, res.Block, tt.wantLimit)
			}
			if n := len(h.api.calls()); n != 0 {
				t.Fatalf("blocked cycle made %d calls", n)
			}
			if got := res.Count()[ActionBlocked]; got != tt.doomed {
				t.Errorf("blocked entries = %d, want %d", got, tt.doomed)
			}
		})
	}
}

func TestInventoryFailureAborts(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	h.api.list = func() ([]zen.Instance, error) { return nil, &zen.IntegrityError{} }
	res := h.cycle(t, false)
	if res.Status != StatusAborted || res.Err == nil || len(h.api.calls()) != 0 {
		t.Fatalf("status %s err %v calls %v", res.Status, res.Err, h.api.calls())
	}
	if got := h.store.runs[len(h.store.runs)-1]; got.InventoryComplete {
		t.Error("aborted run recorded as a complete inventory")
	}
}

func TestPolicyFailureAborts(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	h.rec.opts.Evaluator = tagEvaluator{err: errors.New("engine broke")}
	res := h.cycle(t, false)
	if res.Status != StatusAborted || len(h.api.calls()) != 0 {
		t.Fatalf("status %s calls %v", res.Status, h.api.calls())
	}
}

func TestEvaluationErrorNeverTerminates(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a", withTag("broken", "yes"))}, nil)
	res := h.cycle(t, false)
	if e := res.entry(t, "a"); e.Action != ActionKept || len(e.Warn()) == 0 {
		t.Fatalf("entry = %s warn %v, want kept with a warning", e.Action, e.Warn())
	}
	if len(h.api.calls()) != 0 {
		t.Fatal("terminated an instance whose evaluation failed")
	}
}

func TestRecheckChanged(t *testing.T) {
	tests := []struct {
		name   string
		change func(*zen.Instance)
	}{
		{"status", withStatus(zen.StatusInstalling)},
		{"tags", withTag("keep", "yes")},
		{"no longer doomed", withTag("doomed", "no")},
		{"charge type", withCharge(zen.ChargePrepaid)},
		{"protected", withTag("reaper-protect", "true")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []zen.Instance{inst("a")}, nil)
			h.api.describe = func(ids []string) ([]zen.Instance, error) {
				f := inst("a")
				tt.change(&f)
				return []zen.Instance{f}, nil
			}
			e := h.cycle(t, false).entry(t, "a")
			if e.Action != ActionSkipped || e.SkipReason != SkipChanged {
				t.Fatalf("entry = %s/%s, want skipped/changed", e.Action, e.SkipReason)
			}
			if len(h.api.calls()) != 0 {
				t.Fatal("terminated a changed instance")
			}
		})
	}
}

func TestRecheckGoneAndFailed(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a")}, nil)
	h.api.describe = func([]string) ([]zen.Instance, error) { return nil, nil }
	if e := h.cycle(t, false).entry(t, "a"); e.SkipReason != SkipGone {
		t.Fatalf("gone: %s/%s", e.Action, e.SkipReason)
	}
	h.api.describe = func([]string) ([]zen.Instance, error) { return nil, errors.New("503") }
	res := h.cycle(t, false)
	if res.Status != StatusFailed || res.entry(t, "a").SkipReason != SkipRecheckFailed {
		t.Fatalf("recheck failure: status %s entry %s", res.Status, entryText(res.entry(t, "a")))
	}
	if len(h.api.calls()) != 0 {
		t.Fatal("terminated without a successful re-check")
	}
}

func apiErr(status int, code string) error {
	return &zen.APIError{Action: "TerminateInstance", HTTPStatus: status, Code: code, RequestID: "Treq"}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantAction  Action
		wantSkip    string
		wantOutcome string
		wantRefusal state.RefusalKind
	}{
		{"recycled", apiErr(403, zen.CodeInstanceRecycled), ActionSkipped, "RECYCLE", OutcomeRecycled, ""},
		{"not found", apiErr(404, zen.CodeInstanceNotFound), ActionSkipped, SkipGone, OutcomeGone, ""},
		{"commitment", apiErr(403, zen.CodePostpaidPromise), ActionSkipped, SkipCommitment, OutcomeCommitment, state.RefusalCommitment},
		{"subscription", apiErr(403, zen.CodeInstanceSubscription), ActionSkipped, SkipSubscription, OutcomeSubscription, state.RefusalSubscription},
		{"creating", apiErr(403, zen.CodeInstanceCreating), ActionSkipped, "CREATING", OutcomeBusy, ""},
		{"installing", apiErr(403, zen.CodeInstanceInstalling), ActionSkipped, "INSTALLING", OutcomeBusy, ""},
		{"unexpected", apiErr(400, "INVALID_PARAMETER"), ActionFailed, "", OutcomeFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []zen.Instance{inst("a")}, nil)
			h.api.terminate = func(string) (string, error) { return "", tt.err }
			res := h.cycle(t, false)
			e := res.entry(t, "a")
			if e.Action != tt.wantAction || e.SkipReason != tt.wantSkip {
				t.Fatalf("entry = %s/%s, want %s/%s", e.Action, e.SkipReason, tt.wantAction, tt.wantSkip)
			}
			if e.RequestID() != "Treq" {
				t.Errorf("request id = %q, want Treq", e.RequestID())
			}
			if got := h.store.intents[0].Outcome; got == nil || got.Result != tt.wantOutcome {
				t.Errorf("outcome = %+v, want %s", got, tt.wantOutcome)
			}
			if got := h.store.refusals["a"].Kind; got != tt.wantRefusal {
				t.Errorf("refusal = %q, want %q", got, tt.wantRefusal)
			}
			if (tt.wantAction == ActionFailed) != (res.Failures() == 1) {
				t.Errorf("failures = %d", res.Failures())
			}
		})
	}
}

func TestCommitmentNotRetriedBeforeInterval(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a")}, nil)
	h.api.terminate = func(string) (string, error) { return "", apiErr(403, zen.CodePostpaidPromise) }
	h.cycle(t, false)
	for _, d := range []time.Duration{time.Hour, 100 * time.Hour, 167 * time.Hour} {
		h.now = t0.Add(d)
		if e := h.cycle(t, false).entry(t, "a"); e.SkipReason != SkipCommitment {
			t.Fatalf("after %v: %s/%s, want skipped/commitment", d, e.Action, e.SkipReason)
		}
	}
	if n := len(h.api.calls()); n != 1 {
		t.Fatalf("calls before the retry interval = %d, want 1", n)
	}
	h.now = t0.Add(168 * time.Hour)
	h.api.terminate = nil
	if e := h.cycle(t, false).entry(t, "a"); e.Action != ActionTerminated {
		t.Fatalf("after the interval: %s", e.Action)
	}
	if n := len(h.api.calls()); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}
}

// TestThrottledCallMadeOnceAndRecorded: the cycle calls TerminateInstance once per due instance;
// retrying is the client's (the one retry layer), and a call that still fails is recorded, not
// dropped.
func TestThrottledCallMadeOnceAndRecorded(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a"), inst("b")}, nil)
	h.api.terminate = func(id string) (string, error) {
		if id == "b" {
			return "", apiErr(429, zen.CodeRequestLimitExceeded)
		}
		return "T-" + id, nil
	}
	res := h.cycle(t, false)
	if got := h.api.calls(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("calls = %v, want one per due instance", got)
	}
	if e := res.entry(t, "a"); e.Action != ActionTerminated {
		t.Errorf("a = %s, want terminated", e.Action)
	}
	e := res.entry(t, "b")
	if e.Action != ActionFailed || !strings.Contains(e.ErrorText(), zen.CodeRequestLimitExceeded) {
		t.Errorf("b = %s %q, want failed and saying throttled", e.Action, e.ErrorText())
	}
	if got := h.store.intents[1].Outcome; got == nil || got.Result != OutcomeFailed {
		t.Errorf("b outcome = %+v, want recorded failure", got)
	}
}

func TestIntentFailureStopsActing(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	h.store.failOn = "PutIntent:001"
	res := h.cycle(t, false)
	if got := h.api.calls(); !slices.Equal(got, []string{"000"}) {
		t.Fatalf("calls = %v, want only 000", got)
	}
	if res.Status != StatusFailed {
		t.Errorf("status = %s, want failed", res.Status)
	}
	if e := res.entry(t, "001"); e.Action != ActionFailed || !strings.Contains(e.ErrorText(), "not called") {
		t.Errorf("001 = %s %q", e.Action, e.ErrorText())
	}
	if e := res.entry(t, "002"); e.SkipReason != SkipNotAttempted {
		t.Errorf("002 = %s/%s, want not_attempted", e.Action, e.SkipReason)
	}
}

func TestCancelFinishesInFlightCall(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	ctx, cancel := context.WithCancel(context.Background())
	h.api.terminate = func(id string) (string, error) {
		cancel() // the daemon is told to stop while the first call is in flight
		return "T-" + id, nil
	}
	res, err := h.rec.Run(ctx, Cycle{RunID: "r", Command: "run"})
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if got := h.api.calls(); len(got) != 1 {
		t.Fatalf("calls = %v, want exactly the in-flight one", got)
	}
	if e := res.entry(t, "000"); e.Action != ActionTerminated {
		t.Errorf("in-flight call = %s, want recorded as terminated", e.Action)
	}
	if got := len(res.skipped(SkipNotAttempted)); got != 2 {
		t.Errorf("not attempted = %d, want 2", got)
	}
	if open, _ := h.store.OpenIntents(); len(open) != 0 {
		t.Errorf("open intents = %v", open)
	}
}

func TestRecoverIntents(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("alive"), inst("bin", withStatus(zen.StatusRecycle))}, nil)
	for _, id := range []string{"alive", "bin", "gone"} {
		h.store.intents = append(h.store.intents, state.Intent{RunID: "crashed", InstanceID: id, CreatedAt: t0})
	}
	res := h.cycle(t, false)
	if len(res.Recovered) != 3 {
		t.Fatalf("recovered = %v", res.Recovered)
	}
	want := map[string]string{"alive": OutcomeUnconfirmed, "bin": OutcomeRecycled, "gone": OutcomeGone}
	for _, in := range h.store.intents[:3] {
		if in.Outcome == nil || in.Outcome.Result != want[in.InstanceID] {
			t.Errorf("%s outcome = %+v, want %s", in.InstanceID, in.Outcome, want[in.InstanceID])
		}
	}
	// The unconfirmed instance was re-evaluated, re-checked and terminated once, by this run.
	if got := h.api.calls(); !slices.Equal(got, []string{"alive"}) {
		t.Errorf("calls = %v, want [alive]", got)
	}
	if len(h.api.described) < 2 {
		t.Errorf("describes = %v, want the recovery describe and the re-check", h.api.described)
	}
}

func TestRecoverDescribeFailureAborts(t *testing.T) {
	h := newHarness(t, fleet(1), nil)
	h.store.intents = []state.Intent{{RunID: "crashed", InstanceID: "000"}}
	h.api.describe = func([]string) ([]zen.Instance, error) { return nil, errors.New("timeout") }
	res := h.cycle(t, false)
	if res.Status != StatusAborted || len(h.api.calls()) != 0 {
		t.Fatalf("status %s calls %v", res.Status, h.api.calls())
	}
}

func TestRecordFailureFailsCycle(t *testing.T) {
	h := newHarness(t, fleet(1), nil)
	h.store.failOn = "PutRun"
	if res := h.cycle(t, true); res.Status != StatusFailed || res.Err == nil {
		t.Fatalf("status %s err %v", res.Status, res.Err)
	}
}

func TestPrepaidCancelRemembered(t *testing.T) {
	h := newHarness(t, []zen.Instance{inst("a", withCharge(zen.ChargePrepaid))}, func(s *Settings) { s.AllowSubscriptionCancel = true })
	if e := h.cycle(t, false).entry(t, "a"); e.Action != ActionTerminated || len(e.Warn()) == 0 {
		t.Fatalf("first = %s warn %v", e.Action, e.Warn())
	}
	h.now = t0.Add(time.Hour)
	if e := h.cycle(t, false).entry(t, "a"); e.SkipReason != SkipSubscription {
		t.Fatalf("second = %s/%s, want skipped/subscription", e.Action, e.SkipReason)
	}
	if n := len(h.api.calls()); n != 1 {
		t.Fatalf("calls = %d, want 1 (cancelling once is enough)", n)
	}
}

// TestFleetDropBlocksOneCycle pins README, Configuration: the baseline is the last complete inventory, a
// blocked cycle's included, so a real scale-down blocks the cycle that sees it and no more.
func TestFleetDropBlocksOneCycle(t *testing.T) {
	h := newHarness(t, fleet(10, withTag("doomed", "no")), func(s *Settings) { s.MaxFleetDropPercent = 50 })
	if res := h.cycle(t, false); res.Status != StatusOK {
		t.Fatalf("first cycle: %s", res.Status)
	}
	h.api.instances = h.api.instances[:2]
	setTag(&h.api.instances[0], "doomed", "yes")
	if res := h.cycle(t, false); res.Status != StatusBlocked || len(h.api.calls()) != 0 {
		t.Fatalf("after the drop: %s, calls %v; want blocked with no call", res.Status, h.api.calls())
	}
	if res := h.cycle(t, false); res.Status != StatusOK || len(h.api.calls()) != 1 {
		t.Fatalf("the cycle after: %s, calls %v; want it to act against the new baseline", res.Status, h.api.calls())
	}
}

// slowEnricher fetches until its context ends, then returns what it has for the first instance.
type slowEnricher struct{ budget time.Duration }

func (s *slowEnricher) Enrich(ctx context.Context, now time.Time, p map[string]any, in []zen.Instance) (map[string]*policy.Traffic, int, error) {
	if dl, ok := ctx.Deadline(); ok {
		s.budget = time.Until(dl)
	}
	<-ctx.Done()
	return map[string]*policy.Traffic{in[0].ID: {Samples: 1}}, 7, ctx.Err()
}

// TestEnrichmentBudget: traffic fetching that cannot finish takes only part of the cycle's time,
// and the cycle goes on with the traffic it has.
func TestEnrichmentBudget(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	en := &slowEnricher{}
	h.rec.opts.Enricher = en
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	res, err := h.rec.Run(ctx, Cycle{RunID: "r", Command: "plan"})
	if err != nil || res.Status != StatusOK {
		t.Fatalf("status %s err %v: the cycle must outlive a spent enrichment budget", res.Status, err)
	}
	if en.budget <= 0 || en.budget > 250*time.Millisecond {
		t.Errorf("enrichment budget %v, want about half of the 400ms left", en.budget)
	}
	if res.TrafficCalls != 7 || res.entry(t, "000").Traffic == nil {
		t.Errorf("calls %d, traffic %v: the partial result should be used", res.TrafficCalls, res.entry(t, "000").Traffic)
	}
}

// stoppedEvaluator stands for a policy evaluation that its deadline stopped: it cancels the
// cycle's context and fails with an error naming the policy.
type stoppedEvaluator struct{ cancel context.CancelFunc }

func (e stoppedEvaluator) Evaluate(ctx context.Context, _ time.Time, _ map[string]any, _ []policy.Instance) ([]policy.Decision, error) {
	e.cancel()
	return nil, &policy.LimitError{Policy: "reaper.bomb", InstanceID: "a", Cause: ctx.Err()}
}

func TestStoppedEvaluationAbortsNamingThePolicy(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.rec.opts.Evaluator = stoppedEvaluator{cancel: cancel}
	res, err := h.rec.Run(ctx, Cycle{RunID: "run-1", Command: "run"})
	var le *policy.LimitError
	if res.Status != StatusAborted || !errors.As(err, &le) || le.Policy != "reaper.bomb" {
		t.Fatalf("status %s, error %v; want aborted with the evaluation's error naming reaper.bomb", res.Status, err)
	}
	if len(h.api.calls()) != 0 {
		t.Fatalf("TerminateInstance calls %v, want none", h.api.calls())
	}
}
