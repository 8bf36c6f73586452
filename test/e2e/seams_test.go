package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/enrich"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// rewriteDescribe answers as the simulator does, except that every instance of a DescribeInstances
// answer (listing, re-check and confirmation alike) is passed through edit first.
type rewriteDescribe struct {
	sim  http.Handler
	edit func(in map[string]any)
}

func (p rewriteDescribe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	p.sim.ServeHTTP(rec, r)
	var body map[string]any
	if r.Header.Get("X-ZC-Action") != "DescribeInstances" || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	if resp, ok := body["response"].(map[string]any); ok {
		list, _ := resp["dataSet"].([]any)
		for _, in := range list {
			if m, ok := in.(map[string]any); ok {
				p.edit(m)
			}
		}
	}
	w.WriteHeader(rec.Code)
	_ = json.NewEncoder(w).Encode(body)
}

// proxied returns a reconciler for w whose client talks to the simulator through h.
func (w *world) proxied(h http.Handler, mutate func(*reconcile.Settings)) *reconcile.Reconciler {
	w.t.Helper()
	srv := httptest.NewServer(h)
	w.t.Cleanup(srv.Close)
	client, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey(keyID, secret), zen.WithClock(w.clock.Now),
		zen.WithRetry(3, time.Millisecond, 5*time.Millisecond), zen.WithRequestsPerSecond(1000))
	if err != nil {
		w.t.Fatal(err)
	}
	s := defaultSettings(w.engine)
	if mutate != nil {
		mutate(&s)
	}
	rec, err := reconcile.New(reconcile.Options{
		API: client, Evaluator: w.engine, Store: w.store, Settings: s, Now: w.clock.Now,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return rec
}

// A PREPAID termination is confirmed by autoRenew turning false. An answer that leaves autoRenew
// out (null, "" or no key) says nothing about it: absent is never false, so a call that did not
// take is unconfirmed and backed off, not counted as terminated and repeated every cycle.
func TestAbsentAutoRenewNeverConfirms(t *testing.T) {
	for _, how := range []string{"null", "empty", "missing"} {
		t.Run(how, func(t *testing.T) {
			prepaid := func(in *zensim.FleetInstance) { in.ChargeType = zen.ChargePrepaid; in.AutoRenew = true }
			w := newWorld(t, []zensim.FleetInstance{expired("pre", prepaid)}, withPrepaidCancels())
			w.sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken})
			proxy := rewriteDescribe{sim: w.sim, edit: func(m map[string]any) {
				switch how {
				case "null":
					m["autoRenew"] = nil
				case "empty":
					m["autoRenew"] = ""
				case "missing":
					delete(m, "autoRenew")
				}
			}}
			allow := func(s *reconcile.Settings) { s.AllowSubscriptionCancel = true }
			for n := range 2 {
				w.runs++
				res, _ := w.proxied(proxy, allow).Run(context.Background(), reconcile.Cycle{
					RunID: fmt.Sprintf("20261126T080000Z-%03d", w.runs), Command: "run"})
				e := entry(t, res, "pre")
				want := reconcile.ActionUnconfirmed
				if n == 1 {
					want = reconcile.ActionSkipped // inside the backoff
				}
				if e.Action != want {
					t.Fatalf("cycle %d: %s (%s %s), want %s", n+1, e.Action, e.SkipReason, e.ErrorText(), want)
				}
				w.clock.Advance(time.Hour)
			}
			w.wantTerminateCalls("pre")
		})
	}
}

// countingEdit applies edit to every instance of the DescribeInstances answers after the first
// (the listing of a small fleet is one page): what changes between the inventory and the act step.
func countingEdit(edit func(m map[string]any)) func(m map[string]any) {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(m map[string]any) {
		mu.Lock()
		id := fmt.Sprint(m["instanceId"])
		seen[id]++
		n := seen[id]
		mu.Unlock()
		if n > 1 {
			edit(m)
		}
	}
}

// addTags appends tag pairs to an instance of a DescribeInstances answer.
func addTags(m map[string]any, pairs ...[2]string) {
	wrap, _ := m["tags"].(map[string]any)
	if wrap == nil {
		wrap = map[string]any{}
		m["tags"] = wrap
	}
	list, _ := wrap["tags"].([]any)
	for _, p := range pairs {
		list = append(list, map[string]any{"key": p[0], "value": p[1]})
	}
	wrap["tags"] = list
}

// A protect tag that appears between the inventory and the act step, as a second value of a
// repeated key and in another case with spaces, protects: the re-check describe reads every pair,
// loosely, against a protect map whose own key is written in another case.
func TestProtectTagAddedBeforeActProtects(t *testing.T) {
	tests := []struct {
		name    string
		protect map[string]string
		pairs   [][2]string
		acts    bool // the control: nothing protects
	}{
		{"repeated key, second value protects", map[string]string{"reaper-protect": "true"},
			[][2]string{{"reaper-protect", "false"}, {"reaper-protect", "true"}}, false},
		{"loose key and value", map[string]string{"reaper-protect": "true"}, [][2]string{{" Reaper-Protect ", " YES "}}, false},
		{"config key in another case", map[string]string{"Reaper-Protect": "TRUE"}, [][2]string{{"reaper-protect", "1"}}, false},
		{"custom value", map[string]string{"Team": "Payments"}, [][2]string{{"team", "web"}, {"TEAM", " payments"}}, false},
		{"control: a value that says no", map[string]string{"reaper-protect": "true"}, [][2]string{{"reaper-protect", "no"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, []zensim.FleetInstance{expired("x")})
			proxy := rewriteDescribe{sim: w.sim, edit: countingEdit(func(m map[string]any) { addTags(m, tt.pairs...) })}
			res, _ := w.proxied(proxy, func(s *reconcile.Settings) { s.Protect.Tags = tt.protect }).Run(context.Background(),
				reconcile.Cycle{RunID: "20261126T080000Z-protect", Command: "run"})
			if tt.acts {
				if e := entry(t, res, "x"); e.Action != reconcile.ActionTerminated {
					t.Fatalf("control: %s/%s, want terminated", e.Action, e.SkipReason)
				}
				return
			}
			if e := entry(t, res, "x"); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipChanged {
				t.Fatalf("%s/%s, want skipped/changed (protected on the re-check)", e.Action, e.SkipReason)
			}
			w.wantTerminateCalls()
		})
	}
}

// stoppedEvaluator is a policy engine whose evaluation is stopped (a deadline, the memory limit)
// while stop is set.
type stoppedEvaluator struct {
	reconcile.Evaluator
	stop *bool
}

func (s stoppedEvaluator) Evaluate(ctx context.Context, now time.Time, params map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	if *s.stop {
		return nil, &policy.LimitError{Policy: "reaper.bomb", Cause: context.DeadlineExceeded}
	}
	return s.Evaluator.Evaluate(ctx, now, params, in)
}

// A cycle whose policy evaluation was stopped decided nothing about any instance. Its housekeeping
// must not read that as "every instance is gone": it would forget every unconfirmed termination's
// backoff (so the next cycle calls the API again at once) and drop the whole traffic cache.
func TestStoppedEvaluationForgetsNothing(t *testing.T) {
	const stuck, quiet = "900000000000000001", "900000000000000002"
	w := newWorld(t, []zensim.FleetInstance{expired(stuck), idleSince(quiet, nil, nil)})
	w.sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken})
	stop := false
	cycle := func() *reconcile.Result {
		s := defaultSettings(w.engine)
		s.UnconfirmedRetryAfter = 6 * time.Hour
		s.GracePeriod = 0
		rec, err := reconcile.New(reconcile.Options{
			API: w.client, Evaluator: stoppedEvaluator{Evaluator: w.engine, stop: &stop}, Store: w.store, Settings: s,
			Now: w.clock.Now, Enricher: enrich.New(enrich.Options{API: w.client, Cache: w.store}),
		})
		if err != nil {
			t.Fatal(err)
		}
		w.runs++
		res, _ := rec.Run(context.Background(), reconcile.Cycle{RunID: fmt.Sprintf("20261126T080000Z-%03d", w.runs), Command: "run"})
		w.clock.Advance(time.Hour)
		return res
	}
	if e := entry(t, cycle(), stuck); e.Action != reconcile.ActionUnconfirmed {
		t.Fatalf("cycle 1: %s, want unconfirmed", e.Action)
	}
	if _, ok, err := w.store.Traffic(quiet); err != nil || !ok {
		t.Fatalf("cycle 1 cached no traffic for %s (%v)", quiet, err)
	}
	stop = true
	if res := cycle(); res.Status != reconcile.StatusAborted {
		t.Fatalf("cycle 2: status %s, want aborted (evaluation stopped)", res.Status)
	}
	if pending, err := w.store.Unconfirmed(); err != nil || len(pending) != 2 {
		t.Fatalf("after the stopped cycle: unconfirmed %v (%v), want both backoffs kept", pending, err)
	}
	if _, ok, err := w.store.Traffic(quiet); err != nil || !ok {
		t.Fatalf("after the stopped cycle: traffic of %s dropped (%v)", quiet, err)
	}
	stop = false
	if e := entry(t, cycle(), stuck); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipUnconfirmed {
		t.Fatalf("cycle 3 (2h into a 6h backoff): %s/%s, want skipped/unconfirmed", e.Action, e.SkipReason)
	}
	w.wantTerminateCalls(stuck, quiet)
}

// Repeated and loose tags served by the simulator (a fleet replay's tag_list) through the whole
// cycle: listing, guards, bundled policies, re-check. Only the control instance is terminated.
func TestRepeatedTagsThroughTheSimulator(t *testing.T) {
	list := func(id string, pairs ...[2]string) zensim.FleetInstance {
		return expired(id, func(in *zensim.FleetInstance) {
			in.Tags = nil
			in.TagList = []zensim.Tag{{Key: "reaper-expires-at", Value: "2026-11-01"}}
			for _, p := range pairs {
				in.TagList = append(in.TagList, zensim.Tag{Key: p[0], Value: p[1]})
			}
		})
	}
	w := newWorld(t, []zensim.FleetInstance{
		list("protect", [2]string{"reaper-protect", "false"}, [2]string{"Reaper-Protect", " True"}),
		list("keep", [2]string{"reaper-keep", "no"}, [2]string{"REAPER-KEEP", "yes "}),
		list("conflict", [2]string{"reaper-expires-at", "2099-01-01"}),
		list("control", [2]string{"reaper-protect", "false"}),
	})
	res := w.cycle(nil, "run", false)
	for id, want := range map[string]reconcile.Action{
		"protect": reconcile.ActionProtected, "keep": reconcile.ActionExempt, "conflict": reconcile.ActionKept,
		"control": reconcile.ActionTerminated,
	} {
		if e := entry(t, res, id); e.Action != want {
			t.Errorf("%s: %s/%s (%v), want %s", id, e.Action, e.SkipReason, e.Terminate(), want)
		}
	}
	w.wantTerminateCalls("control")
}

// stopOnCall is a policy engine whose evaluation is stopped from its n-th call on.
type stopOnCall struct {
	reconcile.Evaluator
	n, calls *int
}

func (s stopOnCall) Evaluate(ctx context.Context, now time.Time, params map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	*s.calls++
	if *s.calls >= *s.n {
		return nil, &policy.LimitError{Policy: "reaper.bomb", Cause: context.DeadlineExceeded}
	}
	return s.Evaluator.Evaluate(ctx, now, params, in)
}

// An evaluation stopped during the re-check before acting (its deadline, the memory limit) is a
// failed re-check: nothing is terminated, and the due instances say so.
func TestStoppedRecheckNeverTerminates(t *testing.T) {
	w := newWorld(t, []zensim.FleetInstance{expired("a"), expired("b")})
	n, calls := 2, 0 // the first evaluation decides, the second is the re-check's
	rec, err := reconcile.New(reconcile.Options{
		API: w.client, Evaluator: stopOnCall{Evaluator: w.engine, n: &n, calls: &calls}, Store: w.store,
		Settings: defaultSettings(w.engine), Now: w.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rec.Run(context.Background(), reconcile.Cycle{RunID: "20261126T080000Z-recheck", Command: "run"})
	if err == nil || res.Status != reconcile.StatusFailed || calls != 2 {
		t.Fatalf("status %s, err %v, evaluations %d; want failed after the re-check's evaluation", res.Status, err, calls)
	}
	for _, id := range []string{"a", "b"} {
		if e := entry(t, res, id); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipRecheckFailed {
			t.Errorf("%s: %s/%s, want skipped/%s", id, e.Action, e.SkipReason, reconcile.SkipRecheckFailed)
		}
	}
	w.wantTerminateCalls()
}

// A field the re-check describe leaves out (null, "" or no key) is unknown, never the value that
// lets the call go ahead: status and charge type fail the guards, a creation time gives no age.
func TestAbsentFieldsInRecheckNeverTerminate(t *testing.T) {
	ttl := func(id string) zensim.FleetInstance {
		in := healthy(id)
		in.CreatedAt, in.Tags = t0.Add(-30*24*time.Hour), map[string]string{"reaper-ttl": "1h"}
		return in
	}
	failed := func(id string) zensim.FleetInstance {
		in := healthy(id)
		in.CreatedAt, in.Status = t0.Add(-30*24*time.Hour), zen.StatusCreateFailed
		return in
	}
	tests := []struct {
		field string
		in    zensim.FleetInstance
	}{
		{"instanceStatus", expired("x")},
		{"instanceChargeType", expired("x")},
		{"createTime", ttl("x")},
		{"createTime", failed("x")},
	}
	for _, tt := range tests {
		for _, how := range []string{"null", "empty", "missing"} {
			t.Run(tt.field+"/"+tt.in.Name+"/"+how, func(t *testing.T) {
				w := newWorld(t, []zensim.FleetInstance{tt.in})
				proxy := rewriteDescribe{sim: w.sim, edit: countingEdit(func(m map[string]any) {
					switch how {
					case "null":
						m[tt.field] = nil
					case "empty":
						m[tt.field] = ""
					case "missing":
						delete(m, tt.field)
					}
				})}
				res, _ := w.proxied(proxy, nil).Run(context.Background(), reconcile.Cycle{RunID: "20261126T080000Z-absent", Command: "run"})
				if e := entry(t, res, "x"); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipChanged {
					t.Fatalf("%s/%s (%v), want skipped/changed", e.Action, e.SkipReason, e.Warn())
				}
				w.wantTerminateCalls()
			})
		}
	}
}

// failFor is a policy engine whose evaluation of one instance fails (a builtin error) while fail
// is set.
type failFor struct {
	reconcile.Evaluator
	id   string
	fail *bool
}

func (f failFor) Evaluate(ctx context.Context, now time.Time, params map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	ds, err := f.Evaluator.Evaluate(ctx, now, params, in)
	if err != nil || !*f.fail {
		return ds, err
	}
	for i := range ds {
		if ds[i].InstanceID == f.id {
			ds[i] = policy.Decision{InstanceID: f.id, Err: &policy.EvalError{InstanceID: f.id, Err: errors.New("builtin failed")}}
		}
	}
	return ds, nil
}

// An instance whose evaluation failed was not decided: that is not "no longer a candidate", so
// the backoff of its unconfirmed termination is kept, and the next cycle does not call again.
func TestFailedEvaluationKeepsTheBackoff(t *testing.T) {
	const stuck = "900000000000000001"
	w := newWorld(t, []zensim.FleetInstance{expired(stuck)})
	w.sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken})
	fail := false
	cycle := func() *reconcile.Result {
		s := defaultSettings(w.engine)
		s.UnconfirmedRetryAfter = 6 * time.Hour
		rec, err := reconcile.New(reconcile.Options{
			API: w.client, Evaluator: failFor{Evaluator: w.engine, id: stuck, fail: &fail}, Store: w.store, Settings: s,
			Now: w.clock.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		w.runs++
		res, _ := rec.Run(context.Background(), reconcile.Cycle{RunID: fmt.Sprintf("20261126T080000Z-%03d", w.runs), Command: "run"})
		w.clock.Advance(time.Hour)
		return res
	}
	if e := entry(t, cycle(), stuck); e.Action != reconcile.ActionUnconfirmed {
		t.Fatalf("cycle 1: %s, want unconfirmed", e.Action)
	}
	fail = true
	cycle()
	if pending, err := w.store.Unconfirmed(); err != nil || len(pending) != 1 {
		t.Fatalf("after a failed evaluation: unconfirmed %v (%v), want the backoff kept", pending, err)
	}
	fail = false
	if e := entry(t, cycle(), stuck); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipUnconfirmed {
		t.Fatalf("cycle 3 (2h into a 6h backoff): %s/%s, want skipped/unconfirmed", e.Action, e.SkipReason)
	}
	w.wantTerminateCalls(stuck)
}

// An idle instance whose termination did not take is backed off like any other. A backed-off
// instance gets no traffic fetched (the guards skip it), so the idle policy cannot nominate it:
// that is not "no longer a candidate", and must not forget the backoff.
func TestIdleUnconfirmedStaysBackedOff(t *testing.T) {
	const quiet = "900000000000000002"
	w := newWorld(t, []zensim.FleetInstance{idleSince(quiet, nil, nil)})
	w.sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken})
	cycle := func() *reconcile.Result {
		s := defaultSettings(w.engine)
		s.UnconfirmedRetryAfter = 6 * time.Hour
		rec, err := reconcile.New(reconcile.Options{
			API: w.client, Evaluator: w.engine, Store: w.store, Settings: s, Now: w.clock.Now,
			Enricher: enrich.New(enrich.Options{API: w.client, Cache: w.store}),
		})
		if err != nil {
			t.Fatal(err)
		}
		w.runs++
		res, _ := rec.Run(context.Background(), reconcile.Cycle{RunID: fmt.Sprintf("20261126T080000Z-%03d", w.runs), Command: "run"})
		w.clock.Advance(time.Hour)
		return res
	}
	if e := entry(t, cycle(), quiet); e.Action != reconcile.ActionUnconfirmed {
		t.Fatalf("cycle 1: %s/%s, want unconfirmed", e.Action, e.SkipReason)
	}
	for n := 2; n <= 5; n++ {
		if e := entry(t, cycle(), quiet); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipUnconfirmed {
			t.Fatalf("cycle %d (inside the 6h backoff): %s/%s, want skipped/unconfirmed", n, e.Action, e.SkipReason)
		}
	}
	w.wantTerminateCalls(quiet)
}
