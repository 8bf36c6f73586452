package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// faultDue are the instances of faultFleet that are due: expired, POSTPAID, RUNNING, unprotected.
var faultDue = []string{"e1", "e2", "e3", "e4"}

// faultFleet mixes the due instances with every kind reaper must leave alone.
func faultFleet() []zensim.FleetInstance {
	return []zensim.FleetInstance{
		expired("e1"), expired("e2"), expired("e3"), expired("e4"),
		healthy("h1"), healthy("h2"),
		expired("protected", func(in *zensim.FleetInstance) { in.Tags["reaper-protect"] = "true" }),
		expired("installing", status(zen.StatusInstalling)),
		expired("prepaid", func(in *zensim.FleetInstance) { in.ChargeType = zen.ChargePrepaid }),
	}
}

// fleetSpec is a fleet and which of its instances are due.
type fleetSpec struct {
	instances []zensim.FleetInstance
	due       []string
}

// mixedFleet is faultFleet.
func mixedFleet() fleetSpec { return fleetSpec{faultFleet(), faultDue} }

// pagedFleet is faultFleet and 1,000 healthy instances: listing it takes two pages.
func pagedFleet() fleetSpec {
	return fleetSpec{append(faultFleet(), fleetOf(1000, healthy)...), faultDue}
}

// dropFleet is faultFleet and 31 healthy instances: 40, of which all but the 4 due ones vanish.
func dropFleet() fleetSpec { return fleetSpec{append(faultFleet(), fleetOf(31, healthy)...), faultDue} }

// manyDueFleet is faultFleet and 26 more expired instances: 30 due, enough calls for a fault
// that fires at random to fire whatever the seed.
func manyDueFleet() fleetSpec {
	more := fleetOf(26, func(id string) zensim.FleetInstance { return expired(id) })
	due := slices.Clone(faultDue)
	for _, in := range more {
		due = append(due, in.ID)
	}
	return fleetSpec{append(faultFleet(), more...), due}
}

// faultSettings lets a cycle terminate all of manyDueFleet at once.
func faultSettings(s *reconcile.Settings) { s.MaxTerminationsPerRun = 100 }

// maxRandomCycles bounds the cycles a random case runs while waiting for its fault to fire.
const maxRandomCycles = 50

// The client timeout of the latency cases and the simulator latency that exceeds it.
const (
	clientTimeout = 150 * time.Millisecond
	slowAnswer    = 4 * clientTimeout
)

// faultCase is one kind of trouble, injected into an acting world.
type faultCase struct {
	name  string
	fleet func() fleetSpec // default mixedFleet
	opts  []worldOption
	// inject installs the fault; the function it returns, if any, undoes what ClearFaults does not.
	inject func(t *testing.T, f *faultRun) (undo func())
	// cycles is the number of cycles under the fault; default 1.
	cycles int
	// random: which terminations land depends on the seed. Such a case runs with several seeds
	// (REAPER_LONG), on manyDueFleet, and goes on past cycles until its fault has fired.
	random bool
	// status is that of every cycle under the fault; "" when it depends on the seed.
	status reconcile.Status
	// landed are the terminations that land under the fault (ignored when random).
	landed []string
	// check looks closer at the last cycle under the fault.
	check func(t *testing.T, f *faultRun, res *reconcile.Result)
}

// TestFaults injects one kind of trouble per case, runs acting cycles through it, then clears it.
// Under the fault, the TerminateInstance calls that take effect are exactly the expected ones and
// only ever due instances; every call has an intent whose outcome agrees with what the simulator
// answered. Once the fault clears, every due instance is terminated exactly once overall, and a
// later cycle calls nothing.
func TestFaults(t *testing.T) {
	seed := testSeed(t)
	seeds := 1
	if long() {
		seeds = 20
	}
	for _, tc := range faultCases() {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.random {
				runFaultCase(t, tc, seed)
				return
			}
			for i := range seeds {
				s := seed + uint64(i)
				t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) { runFaultCase(t, tc, s) })
			}
		})
	}
}

func faultCases() []faultCase {
	const describe, terminate = "DescribeInstances", "TerminateInstance"
	ok, aborted := reconcile.StatusOK, reconcile.StatusAborted
	timeout := withClientOptions(zen.WithTimeout(clientTimeout))
	// The random cases turn the client's retries off: a 30% error rate would otherwise never
	// get past three attempts, and the cycle would never see a fault.
	once := withClientOptions(zen.WithRetry(1, time.Millisecond, time.Millisecond))
	return []faultCase{
		{name: "listing 5xx at random", opts: []worldOption{once},
			inject: setFault(describe, zensim.Fault{ErrorRate: 0.3}), cycles: 4, random: true},
		{name: "listing 5xx", inject: setFault(describe, zensim.Fault{HTTPStatus: 503}), status: aborted},
		{name: "listing page 2 fails", fleet: pagedFleet, inject: failSecondPage, status: aborted, check: wantPageFailed(2)},
		{name: "re-check before acting fails", inject: failRecheck, status: reconcile.StatusFailed,
			check: wantSkipped(reconcile.SkipRecheckFailed, faultDue...)},
		{name: "crash left intents, describing fails", inject: crashedThenDescribeFails, status: aborted,
			landed: []string{"e1"}},
		{name: "terminate 5xx at random", opts: []worldOption{once},
			inject: setFault(terminate, zensim.Fault{ErrorRate: 0.3}), cycles: 2, random: true, status: ok},
		{name: "terminate 5xx", inject: setFault(terminate, zensim.Fault{HTTPStatus: 500}), status: ok,
			check: wantOutcomes(reconcile.OutcomeFailed, faultDue...)},
		{name: "5xx everywhere at random", opts: []worldOption{once},
			inject: setFault("", zensim.Fault{ErrorRate: 0.3}), cycles: 5, random: true},
		{name: "429 storm on terminate", inject: setFault(terminate, zensim.Fault{HTTPStatus: 429, Count: harnessAttempts}), status: ok,
			landed: []string{"e2", "e3", "e4"}, check: wantThrottled("e1")},
		{name: "429 storm on listing", inject: setFault(describe, zensim.Fault{HTTPStatus: 429}), status: aborted,
			check: wantErr("rate limited", zen.IsRateLimited)},
		{name: "rate limit exhausted", opts: []worldOption{withFrozenRateClock()}, inject: exhaustRateLimit, status: ok,
			landed: []string{"e1"}, check: wantOutcomes(reconcile.OutcomeFailed, "e2", "e3", "e4")},
		{name: "listing slower than the client timeout", opts: []worldOption{timeout},
			inject: setFault(describe, zensim.Fault{Latency: slowAnswer}), status: aborted,
			check: wantErr("a network timeout", isTimeout)},
		{name: "terminate answer lost to a timeout, retry finds it recycled", opts: []worldOption{timeout},
			inject: setFault(terminate, zensim.Fault{Latency: slowAnswer, Count: 1}), status: ok, landed: faultDue,
			check: wantOutcomes(reconcile.OutcomeRecycled, "e1")},
		{name: "terminate answer lost to timeouts", opts: []worldOption{timeout},
			inject: setFault(terminate, zensim.Fault{Latency: slowAnswer, Count: 3}), status: ok, landed: faultDue,
			check: wantOutcomes(reconcile.OutcomeFailed, "e1")},
		{name: "listing connection reset", inject: setFault(describe, zensim.Fault{Kind: zensim.FaultReset}), status: aborted},
		{name: "terminate connection reset", inject: setFault(terminate, zensim.Fault{Kind: zensim.FaultReset}), status: ok,
			check: wantOutcomes(reconcile.OutcomeFailed, faultDue...)},
		{name: "terminate connection reset after acting",
			inject: setFault(terminate, zensim.Fault{Kind: zensim.FaultReset, Executed: true, Count: 1}), status: ok, landed: faultDue,
			check: wantOutcomes(reconcile.OutcomeRecycled, "e1")},
		{name: "terminate connection reset after acting, every attempt",
			inject: setFault(terminate, zensim.Fault{Kind: zensim.FaultReset, Executed: true}), status: ok, landed: faultDue,
			check: wantOutcomes(reconcile.OutcomeFailed, faultDue...)},
		{name: "listing malformed JSON", inject: setFault(describe, zensim.Fault{Kind: zensim.FaultMalformedJSON}), status: aborted},
		{name: "terminate malformed JSON", inject: setFault(terminate, zensim.Fault{Kind: zensim.FaultMalformedJSON}), status: ok,
			check: wantOutcomes(reconcile.OutcomeFailed, faultDue...)},
		{name: "terminate malformed JSON after acting",
			inject: setFault(terminate, zensim.Fault{Kind: zensim.FaultMalformedJSON, Executed: true}), status: ok, landed: faultDue,
			check: wantOutcomes(reconcile.OutcomeFailed, faultDue...)},
		{name: "listing proxy HTML page", inject: setFault(describe, zensim.Fault{Kind: zensim.FaultHTML}), status: aborted},
		{name: "terminate proxy HTML page", inject: setFault(terminate, zensim.Fault{Kind: zensim.FaultHTML}), status: ok,
			check: wantOutcomes(reconcile.OutcomeFailed, faultDue...)},
		{name: "totalCount drifts between pages", fleet: pagedFleet,
			inject: setFault(describe, zensim.Fault{Kind: zensim.FaultTotalCountDrift}), status: aborted, check: wantIntegrity},
		{name: "changed between inventory and act", inject: changeAfterInventory, status: ok, landed: []string{"e4"},
			check: wantSkipped(reconcile.SkipChanged, "e1", "e2", "e3")},
		{name: "clock skew", inject: skewClock, status: aborted, check: wantErr("an authentication failure", zen.IsAuth)},
		{name: "fleet drops by 90%", fleet: dropFleet, inject: dropNinetyPercent, status: reconcile.StatusBlocked,
			check: wantBlock("max_fleet_drop_percent")},
	}
}

// runFaultCase runs one case on a fresh world whose simulator has the given seed.
func runFaultCase(t *testing.T, tc faultCase, seed uint64) {
	spec := mixedFleet
	switch {
	case tc.fleet != nil:
		spec = tc.fleet
	case tc.random:
		spec = manyDueFleet
	}
	fleet := spec()
	w := newWorld(t, fleet.instances, append([]worldOption{withSimSeed(seed)}, tc.opts...)...)
	f := &faultRun{t: t, w: w, l: watchLandings(w.sim), due: map[string]bool{}, landedIn: map[string]int{}}
	for _, id := range fleet.due {
		f.due[id] = true
	}
	undo := tc.inject(t, f)
	first := len(w.sim.Calls())
	fired := func() bool {
		return slices.ContainsFunc(w.sim.Calls()[first:], func(c zensim.Call) bool { return c.Fault != "" })
	}
	var res *reconcile.Result
	for f.n < max(tc.cycles, 1) || tc.random && !fired() && f.n < maxRandomCycles {
		res = f.cycle()
		t.Logf("under the fault, cycle %d: %s (%v); %d of %d due landed so far", f.n, res.Status, res.Err, len(f.landedIn), len(f.due))
		if tc.status != "" && res.Status != tc.status {
			t.Errorf("under the fault: status %s (%v), want %s", res.Status, res.Err, tc.status)
		}
		w.clock.Advance(time.Hour)
	}
	if tc.check != nil {
		tc.check(t, f, res)
	}
	if tc.random && !fired() {
		t.Errorf("the fault never fired in %d cycles: the case tested nothing (try another %s)", f.n, envSeed)
	}
	if got := f.landedIDs(); !tc.random && !slices.Equal(got, slices.Sorted(slices.Values(tc.landed))) {
		t.Errorf("terminations that landed under the fault = %v, want %v", got, tc.landed)
	}

	w.sim.ClearFaults()
	if undo != nil {
		undo()
	}
	if res := f.cycle(); res.Status != reconcile.StatusOK {
		t.Fatalf("after the fault cleared: status %s: %v", res.Status, res.Err)
	}
	for _, id := range fleet.due {
		if _, ok := f.landedIn[id]; !ok {
			t.Errorf("%s: never terminated, though the fault cleared", id)
		}
		if in, _ := w.sim.Instance(id); in.Status != zen.StatusRecycle {
			t.Errorf("%s: simulator status %s, want RECYCLE", id, in.Status)
		}
	}
	w.clock.Advance(time.Hour)
	before := len(w.sim.TerminateCalls())
	f.cycle()
	if n := len(w.sim.TerminateCalls()) - before; n != 0 {
		t.Errorf("a cycle after every termination landed made %d TerminateInstance calls, want 0", n)
	}
}

// faultRun is one world under a fault, with what the checks learned so far.
type faultRun struct {
	t        *testing.T
	w        *world
	l        *landings
	due      map[string]bool
	landedIn map[string]int // instance ID -> the cycle (1-based) in which its termination landed
	n        int            // cycles run
}

// cycle runs one acting cycle and checks what must hold after any cycle, whatever the fault:
// TerminateInstance is only ever called for due instances and never again once it landed; every
// call has an intent of this run with an outcome that agrees with the simulator's last answer; no
// intent is left open (one left by an earlier crash only while the cycle could not describe it).
func (f *faultRun) cycle() *reconcile.Result {
	f.t.Helper()
	before := len(f.w.sim.Calls())
	res := f.w.cycle(faultSettings, "run", false)
	f.n++
	cycleCalls := f.w.sim.Calls()[before:]
	byID := terminateCallsIn(cycleCalls)
	if len(byID) > 0 && (res.Status == reconcile.StatusAborted || res.Status == reconcile.StatusBlocked) {
		f.t.Errorf("cycle %d: %s, yet TerminateInstance was called for %v", f.n, res.Status, slices.Sorted(maps.Keys(byID)))
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		if !f.due[id] {
			f.t.Errorf("cycle %d: TerminateInstance called for %s, which is not due", f.n, id)
		}
		if n, ok := f.landedIn[id]; ok {
			f.t.Errorf("cycle %d: TerminateInstance called for %s, whose termination landed in cycle %d", f.n, id, n)
		}
		for _, c := range byID[id] {
			if f.l.didLand(c.Seq) {
				f.landedIn[id] = f.n
			}
		}
	}
	f.checkIntents(res, byID, cycleCalls)
	return res
}

// checkIntents holds the state store against the calls of the cycle of res.
func (f *faultRun) checkIntents(res *reconcile.Result, byID map[string][]zensim.Call, cycleCalls []zensim.Call) {
	f.t.Helper()
	all, err := f.w.store.Intents()
	if err != nil {
		f.t.Fatal(err)
	}
	mine := map[string]state.Intent{}
	for _, in := range all {
		if in.Outcome == nil && (in.RunID == res.RunID || res.Status != reconcile.StatusAborted) {
			f.t.Errorf("cycle %d (%s): intent %s/%s left open", f.n, res.Status, in.RunID, in.InstanceID)
		}
		if in.RunID == res.RunID {
			mine[in.InstanceID] = in
		}
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		if _, ok := mine[id]; !ok {
			f.t.Errorf("cycle %d: TerminateInstance called for %s without an intent of run %s", f.n, id, res.RunID)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(mine)) {
		calls := byID[id]
		if len(calls) == 0 {
			f.t.Errorf("cycle %d: intent for %s, but no TerminateInstance call", f.n, id)
			continue
		}
		if o := mine[id].Outcome; o != nil {
			f.checkOutcome(res, id, *o, calls, cycleCalls)
		}
	}
}

// checkOutcome holds an intent's outcome against the answer to the last call of its cycle. An
// answer that reached reaper (normal, or an injected JSON error) decides the outcome and gives its
// request ID; an answer that was lost (cut off, reset, HTML, too slow) can only be a failure,
// whether or not the call took effect. A 200 is terminated only when the describe after the
// batch answered (and so showed the instance in the recycle bin); otherwise it is unconfirmed.
func (f *faultRun) checkOutcome(res *reconcile.Result, id string, o state.Outcome, calls, cycleCalls []zensim.Call) {
	f.t.Helper()
	last := calls[len(calls)-1]
	answered := last.Fault == "" || last.Fault == zensim.FaultError.String() // "latency" here is always beyond the timeout
	want := reconcile.OutcomeFailed
	switch {
	case answered && last.HTTPStatus == 200 && confirmedAfter(cycleCalls, last):
		want = reconcile.OutcomeTerminated
	case answered && last.HTTPStatus == 200:
		want = reconcile.OutcomeUnconfirmed
	case answered && last.Code == zen.CodeInstanceRecycled:
		want = reconcile.OutcomeRecycled
	}
	if o.Result != want {
		f.t.Errorf("cycle %d: %s: outcome %q, want %q (last call answered %d %s, fault %q)",
			f.n, id, o.Result, want, last.HTTPStatus, last.Code, last.Fault)
	}
	switch {
	case answered && o.RequestID != last.RequestID:
		f.t.Errorf("cycle %d: %s: outcome request ID %q, want %q (the last answer's)", f.n, id, o.RequestID, last.RequestID)
	case !answered && o.RequestID != "" && !slices.ContainsFunc(calls, func(c zensim.Call) bool { return c.RequestID == o.RequestID }):
		f.t.Errorf("cycle %d: %s: outcome request ID %q names no call of the cycle", f.n, id, o.RequestID)
	}
	if e := entry(f.t, res, id); (e.Action == reconcile.ActionTerminated) != (o.Result == reconcile.OutcomeTerminated) {
		f.t.Errorf("cycle %d: %s: entry %s but outcome %s", f.n, id, e.Action, o.Result)
	}
}

// confirmedAfter reports whether the last DescribeInstances naming call's instance after it was
// answered normally: the confirmation reaper makes after a batch of accepted calls.
func confirmedAfter(cycleCalls []zensim.Call, call zensim.Call) bool {
	var last *zensim.Call
	for i, c := range cycleCalls {
		if c.Seq > call.Seq && c.Action == "DescribeInstances" &&
			slices.Contains(c.InstanceIDs, call.InstanceIDs[0]) {
			last = &cycleCalls[i]
		}
	}
	return last != nil && last.HTTPStatus == 200 && last.Fault == ""
}

// landedIDs lists the instances whose termination landed so far.
func (f *faultRun) landedIDs() []string { return slices.Sorted(maps.Keys(f.landedIn)) }

// outcome returns the outcome the run runID recorded for id, nil when there is none.
func (f *faultRun) outcome(runID, id string) *state.Outcome {
	f.t.Helper()
	all, err := f.w.store.Intents()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, in := range all {
		if in.RunID == runID && in.InstanceID == id {
			return in.Outcome
		}
	}
	return nil
}

func setFault(action string, flt zensim.Fault) func(*testing.T, *faultRun) func() {
	return func(_ *testing.T, f *faultRun) func() {
		f.w.sim.SetFault(action, flt)
		return nil
	}
}

// failSecondPage lets the first page of the listing through and fails every attempt at the
// second: a partial inventory.
func failSecondPage(_ *testing.T, f *faultRun) func() {
	var once sync.Once
	f.l.also(func(c zensim.Call) {
		var body struct {
			PageNum int `json:"pageNum"`
		}
		if c.Action == "DescribeInstances" && len(c.InstanceIDs) == 0 && json.Unmarshal(c.Body, &body) == nil && body.PageNum == 1 {
			once.Do(func() { f.w.sim.SetFault("DescribeInstances", zensim.Fault{HTTPStatus: 503, Count: 3}) })
		}
	})
	return func() { f.l.also(nil) }
}

// failRecheck lets the listing through and fails every attempt at the describe that re-checks
// the due instances before acting.
func failRecheck(_ *testing.T, f *faultRun) func() {
	f.l.also(func(c zensim.Call) {
		if c.Action == "DescribeInstances" && len(c.InstanceIDs) == 0 {
			f.w.sim.SetFault("DescribeInstances", zensim.Fault{HTTPStatus: 503, Count: 3})
		}
	})
	return func() { f.l.also(nil) }
}

// crashedRun is the run ID of the reaper that crashedThenDescribeFails pretends was killed.
const crashedRun = "20261126T070000Z-crashed"

// crashedThenDescribeFails leaves the intents a reaper killed mid-call would have: one for e1, whose
// call landed, and one for e2, whose call never left. Describing fails, so they cannot be resolved
// and the cycle must not act; once describing works they are resolved (e1 recycled, e2
// unconfirmed) and e2 is terminated.
func crashedThenDescribeFails(t *testing.T, f *faultRun) func() {
	for _, id := range []string{"e1", "e2"} {
		if err := f.w.store.PutIntent(state.Intent{RunID: crashedRun, InstanceID: id}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(f.w.sim.Calls())
	if _, err := f.w.client.TerminateInstance(context.Background(), "e1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.w.sim.Calls()[before:] {
		if f.l.didLand(c.Seq) {
			f.landedIn[c.InstanceIDs[0]] = 0 // the crashed reaper's call, before cycle 1
		}
	}
	f.w.sim.SetFault("DescribeInstances", zensim.Fault{HTTPStatus: 503})
	return func() {
		t.Cleanup(func() { // after the cycles that follow the fault
			for id, want := range map[string]string{"e1": reconcile.OutcomeRecycled, "e2": reconcile.OutcomeUnconfirmed} {
				if o := f.outcome(crashedRun, id); o == nil || o.Result != want {
					t.Errorf("crashed intent for %s resolved as %+v, want %s", id, o, want)
				}
			}
		})
	}
}

// exhaustRateLimit admits three calls (listing, re-check, one termination) and throttles the rest.
func exhaustRateLimit(_ *testing.T, f *faultRun) func() {
	f.w.sim.SetRateLimit(1, 3)
	return func() { f.w.sim.SetRateLimit(0, 0) }
}

// changeAfterInventory changes three due instances after the listing answered and before reaper
// acts: one starts installing, one gets reaper-keep, one becomes a subscription. The fault
// clearing puts them back.
func changeAfterInventory(_ *testing.T, f *faultRun) func() {
	sim := f.w.sim
	f.l.also(func(c zensim.Call) {
		if c.Action == "DescribeInstances" && len(c.InstanceIDs) == 0 {
			sim.Mutate("e1", func(in *zensim.SimInstance) { in.Status = zen.StatusInstalling })
			sim.Mutate("e2", func(in *zensim.SimInstance) { in.Tags["reaper-keep"] = "true" })
			sim.Mutate("e3", func(in *zensim.SimInstance) { in.ChargeType = zen.ChargePrepaid })
		}
	})
	return func() {
		f.l.also(nil)
		sim.Mutate("e1", func(in *zensim.SimInstance) { in.Status = zen.StatusRunning })
		sim.Mutate("e2", func(in *zensim.SimInstance) { delete(in.Tags, "reaper-keep") })
		sim.Mutate("e3", func(in *zensim.SimInstance) { in.ChargeType = zen.ChargePostpaid })
	}
}

// skewClock gives reaper a clock 10 minutes ahead of the simulator's: every signature is refused.
func skewClock(_ *testing.T, f *faultRun) func() {
	return f.w.useClient(zen.WithClock(func() time.Time { return f.w.clock.Now().Add(10 * time.Minute) }))
}

// dropNinetyPercent runs a good (plan) cycle over 40 instances, then makes all but the 4 due ones
// vanish. The fault clearing brings them back.
func dropNinetyPercent(t *testing.T, f *faultRun) func() {
	if res := f.w.cycle(nil, "plan", true); res.Status != reconcile.StatusOK || !res.InventoryComplete {
		t.Fatalf("good cycle: status %s: %v", res.Status, res.Err)
	}
	full := f.w.sim.Instances()
	for _, in := range full {
		if !f.due[in.ID] {
			f.w.sim.Remove(in.ID)
		}
	}
	if n := len(f.w.sim.Instances()); n*10 != len(full) {
		t.Fatalf("%d of %d instances left, want 10%%", n, len(full))
	}
	return func() {
		if err := f.w.sim.Load(zensim.Fleet{Instances: full}); err != nil {
			t.Fatal(err)
		}
	}
}

func wantOutcomes(result string, ids ...string) func(*testing.T, *faultRun, *reconcile.Result) {
	return func(t *testing.T, f *faultRun, res *reconcile.Result) {
		t.Helper()
		for _, id := range ids {
			if o := f.outcome(res.RunID, id); o == nil || o.Result != result {
				t.Errorf("%s: outcome %+v, want %s", id, o, result)
			}
		}
	}
}

// wantThrottled checks that id kept being throttled: reaper made exactly the client's attempts
// (the cycle adds no retry layer) and recorded the failure, not dropped it.
func wantThrottled(id string) func(*testing.T, *faultRun, *reconcile.Result) {
	return func(t *testing.T, f *faultRun, res *reconcile.Result) {
		t.Helper()
		wantOutcomes(reconcile.OutcomeFailed, id)(t, f, res)
		if o := f.outcome(res.RunID, id); o != nil && !strings.Contains(o.Error, zen.CodeRequestLimitExceeded) {
			t.Errorf("%s: outcome error %q, want it to name %s", id, o.Error, zen.CodeRequestLimitExceeded)
		}
		if n := len(terminateCallsIn(f.w.sim.Calls())[id]); n != harnessAttempts {
			t.Errorf("%s: %d TerminateInstance attempts, want exactly the client's %d", id, n, harnessAttempts)
		}
	}
}

func wantSkipped(reason string, ids ...string) func(*testing.T, *faultRun, *reconcile.Result) {
	return func(t *testing.T, _ *faultRun, res *reconcile.Result) {
		t.Helper()
		for _, id := range ids {
			if e := entry(t, res, id); e.Action != reconcile.ActionSkipped || e.SkipReason != reason {
				t.Errorf("%s: %s/%s, want skipped/%s", id, e.Action, e.SkipReason, reason)
			}
		}
	}
}

func wantErr(what string, is func(error) bool) func(*testing.T, *faultRun, *reconcile.Result) {
	return func(t *testing.T, _ *faultRun, res *reconcile.Result) {
		t.Helper()
		if !is(res.Err) {
			t.Errorf("cycle error %v, want %s", res.Err, what)
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[*zen.NetworkError](err)
	return ok && ne.Timeout
}

func wantIntegrity(t *testing.T, _ *faultRun, res *reconcile.Result) {
	t.Helper()
	if _, ok := errors.AsType[*zen.IntegrityError](res.Err); !ok || res.InventoryComplete {
		t.Errorf("cycle error %v (inventory complete %v), want an IntegrityError", res.Err, res.InventoryComplete)
	}
}

func wantPageFailed(page int) func(*testing.T, *faultRun, *reconcile.Result) {
	return func(t *testing.T, _ *faultRun, res *reconcile.Result) {
		t.Helper()
		if ie, ok := errors.AsType[*zen.IntegrityError](res.Err); !ok || ie.Page != page || res.InventoryComplete {
			t.Errorf("cycle error %v (inventory complete %v), want an IntegrityError for page %d", res.Err, res.InventoryComplete, page)
		}
	}
}

func wantBlock(limit string) func(*testing.T, *faultRun, *reconcile.Result) {
	return func(t *testing.T, _ *faultRun, res *reconcile.Result) {
		t.Helper()
		if res.Block == nil || res.Block.Limit != limit {
			t.Errorf("block %+v, want %s", res.Block, limit)
		}
		if n := res.Count()[reconcile.ActionBlocked]; n != len(faultDue) {
			t.Errorf("blocked entries = %d, want %d", n, len(faultDue))
		}
	}
}
