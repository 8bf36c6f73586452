package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/enrich"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

const (
	simKeyID  = "STREAMKEY"
	simSecret = "StreamSecret0123456789"
)

// evalLog keeps the policy engine's "policy evaluation" debug records: what each Evaluate call
// evaluated and what the decision cache served.
type evalLog struct {
	mu    sync.Mutex
	calls int
	evalStats
}

// evalStats are the totals of a cycle's Evaluate calls.
type evalStats struct {
	Instances, Served, Added int64
}

func (l *evalLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *evalLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *evalLog) WithGroup(string) slog.Handler            { return l }
func (l *evalLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "policy evaluation" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "instances":
			l.Instances += a.Value.Int64()
		case "served_from_cache":
			l.Served += a.Value.Int64()
		case "cache_entries_added":
			l.Added += a.Value.Int64()
		}
		return true
	})
	return nil
}

// evaluated reports whether an Evaluate call completed since the last take.
func (l *evalLog) evaluated() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls > 0
}

// holdListing makes the simulator answer the listing's calls after the first `after` only once
// the engine has completed an evaluation (or after 10 s): pages are then evaluated while the
// listing is still running, whatever the machine's load.
func (w *simWorld) holdListing(after int, then func()) {
	var mu sync.Mutex
	seen := 0
	w.sim.OnCall(func(c zensim.Call) {
		if c.Action != "DescribeInstances" {
			return
		}
		mu.Lock()
		seen++
		held := seen > after
		mu.Unlock()
		if !held {
			return
		}
		for deadline := time.Now().Add(10 * time.Second); !w.evals.evaluated() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if then != nil {
			then()
		}
	})
}

// take returns the totals since the last take and the number of Evaluate calls, and resets them.
func (l *evalLog) take() (evalStats, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, n := l.evalStats, l.calls
	l.evalStats, l.calls = evalStats{}, 0
	return s, n
}

// simWorld is a cycle over the simulator: a generated fleet served by zensim, the real client,
// the bundled policies (with their decision cache), a state store and the traffic enricher, all
// at the fixed time now.
type simWorld struct {
	sim    *zensim.Server
	client *zen.Client
	engine *policy.Engine
	store  *state.Store
	evals  *evalLog
	now    time.Time
	rec    *Reconciler
}

// listOnly is an API with ListInstances only: it hides the client's ListInstancesEach, so a
// cycle over it lists the whole fleet before it evaluates anything (the behaviour before
// streaming).
type listOnly struct{ API }

// streamParams puts idle detection in scope for the older instances only, so that some
// instances need traffic (evaluated after enrichment) and the others none (evaluated early).
var streamParams = map[string]any{"idle": map[string]any{"min_age": "330d"}}

func newSimWorld(t *testing.T, fleet zensim.Fleet, now time.Time, streaming bool, mode string) *simWorld {
	t.Helper()
	clock := func() time.Time { return now }
	w := &simWorld{evals: &evalLog{}, now: now}
	w.sim = zensim.New(zensim.Options{Keys: map[string]string{simKeyID: simSecret}, Seed: 3, Now: clock, PrepaidCancels: true})
	if err := w.sim.Load(fleet); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.sim)
	t.Cleanup(srv.Close)
	client, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey(simKeyID, simSecret), zen.WithClock(clock),
		zen.WithRequestsPerSecond(100_000), zen.WithRetry(2, time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	w.client = client
	w.store, err = state.Open(t.TempDir(), state.WithNow(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.store.Close() })
	w.engine, err = policy.Load(context.Background(), policy.Options{FS: policies.FS, Logger: slog.New(w.evals)})
	if err != nil {
		t.Fatal(err)
	}
	var api API = client
	if !streaming {
		api = listOnly{client}
	}
	w.rec, err = New(Options{
		API: api, Evaluator: w.engine, Store: w.store, Tags: client, Now: clock,
		Enricher: enrich.New(enrich.Options{API: client, Cache: w.store, Concurrency: 8}),
		Settings: Settings{
			Mode:                   mode,
			Params:                 policy.MergeParams(w.engine.DefaultParams(), streamParams),
			MaxTerminationsPerRun:  1_000_000,
			MaxTerminationsPercent: 100,
			MaxFleetDropPercent:    50,
			CommitmentRetryAfter:   168 * time.Hour,
			Protect:                Protection{Tags: map[string]string{"reaper-protect": "true"}, NamePatterns: []string{"ci-build-1*"}},
			CallTimeout:            30 * time.Second,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *simWorld) run(ctx context.Context, command string, dryRun bool) *Result {
	res, _ := w.rec.Run(ctx, Cycle{RunID: "run-" + command, Command: command, DryRun: dryRun})
	return res
}

// TestStreamingDecidesAsBefore: over a generated fleet (every status, protected, exempt, kept
// and due instances, some old enough to need traffic), cycles that evaluate pages while the
// listing runs give exactly the results of cycles that list the whole fleet first: the same
// entries in the same order, the same counts and traffic calls, and the same work for the policy
// engine and its decision cache, in a first (cold), second (analysing) and third (served) cycle.
// The fleet spans more than two evaluation chunks, so early and late decisions interleave
// across chunk boundaries.
func TestStreamingDecidesAsBefore(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates 17,500 instances six times")
	}
	n := 2*evalChunk + 1116
	fleet := zensim.Generate(n, 42, t0)
	plain := newSimWorld(t, fleet, t0, false, ModeDryRun)
	streamed := newSimWorld(t, fleet, t0, true, ModeDryRun)
	statuses := map[Action]bool{}
	for run := 1; run <= 3; run++ {
		want := plain.run(context.Background(), CommandPlan, true)
		wantStats, _ := plain.evals.take()
		got := streamed.run(context.Background(), CommandPlan, true)
		gotStats, _ := streamed.evals.take()
		if want.Status != StatusOK || got.Status != StatusOK {
			t.Fatalf("run %d: status %s (%v) and %s (%v), want ok", run, want.Status, want.Err, got.Status, got.Err)
		}
		if len(got.Entries) != n || !reflect.DeepEqual(got.Entries, want.Entries) {
			t.Fatalf("run %d: streamed entries differ from listing first (%d and %d entries)%s",
				run, len(got.Entries), len(want.Entries), firstDiff(got.Entries, want.Entries))
		}
		if !reflect.DeepEqual(got.Count(), want.Count()) || got.TrafficCalls != want.TrafficCalls ||
			got.InventorySize != want.InventorySize || got.InventoryComplete != want.InventoryComplete {
			t.Errorf("run %d: counts %v, %d traffic calls, inventory %d; want %v, %d, %d",
				run, got.Count(), got.TrafficCalls, got.InventorySize, want.Count(), want.TrafficCalls, want.InventorySize)
		}
		if gotStats != wantStats {
			t.Errorf("run %d: the engine evaluated %+v, want %+v as when listing first", run, gotStats, wantStats)
		}
		if run == 3 && gotStats.Served == 0 {
			t.Errorf("run 3: nothing served from the decision cache, want a warm cycle")
		}
		for _, e := range got.Entries {
			statuses[e.Action] = true
		}
		t.Logf("run %d: %v, %d traffic calls, engine %+v", run, got.Count(), got.TrafficCalls, gotStats)
	}
	for _, a := range []Action{ActionSkipped, ActionProtected, ActionExempt, ActionKept, ActionWouldTerminate} {
		if !statuses[a] {
			t.Errorf("no entry was %s: the fleet does not cover what it must", a)
		}
	}

	// The streamed cycles did evaluate early: every instance that needs no traffic, and only
	// those.
	needs, ok := streamed.rec.trafficNeeds(t0)
	if !ok {
		t.Fatal("the enricher cannot tell which instances need traffic")
	}
	inv, done, err := streamed.rec.list(context.Background(), t0)
	if err != nil || done == nil {
		t.Fatalf("list: %v (early %v)", err, done)
	}
	early, late := 0, 0
	for i, in := range inv {
		ok := done.decided(i)
		if ok == needs(in) {
			t.Fatalf("instance %d (%s): decided early %v, needs traffic %v", i, in.ID, ok, needs(in))
		}
		if ok {
			early++
		} else {
			late++
		}
	}
	if early == 0 || late == 0 {
		t.Errorf("%d instances decided early, %d after enrichment; want both", early, late)
	}
}

// firstDiff describes the first entry that differs.
func firstDiff(got, want []Entry) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("; entry %d:\n got %s\nwant %s", i, entryText(got[i]), entryText(want[i]))
		}
	}
	return ""
}

// TestStreamingListingFailsAfterPages: a listing whose later pages fail, after earlier pages
// were evaluated, fails the cycle as before: aborted with the inventory's integrity error, no
// entry, no inventory, no call, no tag, no intent, no mark, though the fleet has due instances
// and the cycle may terminate.
func TestStreamingListingFailsAfterPages(t *testing.T) {
	n := 8 * 1000
	fleet := zensim.Generate(n, 7, t0)
	for _, faulty := range []zensim.Fault{
		{Kind: zensim.FaultError, HTTPStatus: 500, Skip: 4, Count: 100},
		{Kind: zensim.FaultTotalCountDrift, Skip: 4},
	} {
		t.Run(faulty.Kind.String(), func(t *testing.T) {
			w := newSimWorld(t, fleet, t0, true, ModeEnforce)
			w.sim.SetFault("DescribeInstances", faulty)
			w.holdListing(4, nil)
			res := w.run(context.Background(), CommandRun, false)
			ie, isIntegrity := errors.AsType[*zen.IntegrityError](res.Err)
			if res.Status != StatusAborted || !isIntegrity {
				t.Fatalf("status %s, err %v; want aborted with an integrity error", res.Status, res.Err)
			}
			t.Logf("aborted: %v (page %d)", ie, ie.Page)
			if len(res.Entries) != 0 || res.InventorySize != 0 || res.InventoryComplete {
				t.Errorf("%d entries, inventory %d complete %v; want none", len(res.Entries), res.InventorySize, res.InventoryComplete)
			}
			assertNothingDone(t, w)
			if _, calls := w.evals.take(); calls == 0 {
				t.Errorf("no page was evaluated before the listing failed: the test proves nothing")
			}
			// The same world lists whole without the fault: then it would have acted.
			w.sim.ClearFaults()
			w.sim.OnCall(nil)
			if res := w.run(context.Background(), CommandPlan, true); res.Status != StatusOK || res.Count()[ActionWouldTerminate] == 0 {
				t.Errorf("without the fault: status %s, %v; want ok with instances due", res.Status, res.Count())
			}
		})
	}
}

// TestStreamingCancelledMidListing: a cycle cancelled while its listing runs (pages already
// evaluated) aborts as before, with the cancellation, and does nothing.
func TestStreamingCancelledMidListing(t *testing.T) {
	n := 8 * 1000
	w := newSimWorld(t, zensim.Generate(n, 9, t0), t0, true, ModeEnforce)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.holdListing(3, cancel) // cancelled while later pages are in flight
	res := w.run(ctx, CommandRun, false)
	if res.Status != StatusAborted || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("status %s, err %v; want aborted by the cancellation", res.Status, res.Err)
	}
	var ie *zen.IntegrityError
	if !errors.As(res.Err, &ie) {
		t.Errorf("err %v: want the listing's error, as before streaming", res.Err)
	}
	if len(res.Entries) != 0 || res.InventoryComplete {
		t.Errorf("%d entries, inventory complete %v; want none", len(res.Entries), res.InventoryComplete)
	}
	assertNothingDone(t, w)
	if _, calls := w.evals.take(); calls == 0 {
		t.Errorf("no page was evaluated before the cancellation: the test proves nothing")
	}
}

// assertNothingDone fails when the simulator saw a termination or tag write, or the store holds
// an intent or a mark.
func assertNothingDone(t *testing.T, w *simWorld) {
	t.Helper()
	if calls := w.sim.TerminateCalls(); len(calls) != 0 {
		t.Errorf("%d TerminateInstance calls, want none", len(calls))
	}
	for _, c := range w.sim.Calls() {
		if c.Action != "DescribeInstances" {
			t.Errorf("call %s, want only the listing", c.Action)
			break
		}
	}
	if open, err := w.store.OpenIntents(); err != nil || len(open) != 0 {
		t.Errorf("open intents %v (%v), want none", open, err)
	}
	if marks, err := w.store.Marks(); err != nil || len(marks) != 0 {
		t.Errorf("%d marks (%v), want none", len(marks), err)
	}
}

// TestPlainDecisionCoversEveryField: an early decision that plain accepts is kept as one byte and
// rebuilt as policy.Decision{InstanceID: id}; a field plain does not look at would be dropped
// silently. A new field of policy.Decision must be added to plain (and here).
func TestPlainDecisionCoversEveryField(t *testing.T) {
	var got []string
	typ := reflect.TypeFor[policy.Decision]()
	for i := range typ.NumField() {
		got = append(got, typ.Field(i).Name)
	}
	if want := []string{"InstanceID", "Terminate", "Exempt", "Warn", "Err"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("policy.Decision fields = %v; plain checks %v", got, want)
	}
	for _, d := range []policy.Decision{
		{InstanceID: "other"},
		{InstanceID: "i", Terminate: []policy.Reason{}},
		{InstanceID: "i", Exempt: []policy.Reason{{Policy: "p"}}},
		{InstanceID: "i", Warn: []policy.Reason{{Policy: "p"}}},
		{InstanceID: "i", Err: errors.New("x")},
	} {
		if plain(d, "i") {
			t.Errorf("plain(%+v) = true", d)
		}
	}
	if !plain(policy.Decision{InstanceID: "i"}, "i") {
		t.Error("plain of a decision with no reason = false")
	}
}
