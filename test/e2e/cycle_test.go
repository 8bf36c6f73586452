package e2e_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func TestDryRunAndPlanMakeNoCalls(t *testing.T) {
	w := newWorld(t, fleetOf(8, func(id string) zensim.FleetInstance { return expired(id) }))
	for _, c := range []struct {
		command string
		dry     bool
	}{{"run", true}, {"plan", true}, {"plan", false}} {
		res := w.cycle(nil, c.command, c.dry)
		if res.Status != reconcile.StatusOK {
			t.Fatalf("%s: status %s: %v", c.command, res.Status, res.Err)
		}
		if got := res.Count()[reconcile.ActionWouldTerminate]; got != 8 {
			t.Fatalf("%s: would_terminate = %d, want 8", c.command, got)
		}
	}
	w.wantTerminateCalls()
	if in, _ := w.store.Intents(); len(in) != 0 {
		t.Errorf("dry cycles recorded %d intents", len(in))
	}
}

func TestActingTerminatesOnlyCandidates(t *testing.T) {
	w := newWorld(t, []zensim.FleetInstance{expired("1"), healthy("2"), expired("3")})
	res := w.cycle(nil, "run", false)
	w.wantTerminateCalls("1", "3")
	for _, id := range []string{"1", "3"} {
		e := entry(t, res, id)
		if e.Action != reconcile.ActionTerminated || e.RequestID() == "" {
			t.Errorf("%s: %s request %q, want terminated with a request ID", id, e.Action, e.RequestID())
		}
		if in, _ := w.sim.Instance(id); in.Status != zen.StatusRecycle {
			t.Errorf("%s: simulator status %s, want RECYCLE", id, in.Status)
		}
	}
	intents, _ := w.store.Intents()
	if len(intents) != 2 {
		t.Fatalf("intents = %d, want 2", len(intents))
	}
	for _, in := range intents {
		if in.Outcome == nil || in.Outcome.Result != reconcile.OutcomeTerminated || in.Outcome.RequestID == "" {
			t.Errorf("intent %s outcome = %+v", in.InstanceID, in.Outcome)
		}
	}
	// The next cycle sees them in the recycle bin: nothing is called again.
	w.clock.Advance(time.Hour)
	w.cycle(nil, "run", false)
	w.wantTerminateCalls("1", "3")
}

func TestGuardsHold(t *testing.T) {
	statuses := []zen.Status{zen.StatusPending, zen.StatusCreating, zen.StatusInstalling, zen.StatusBooting,
		zen.StatusStopping, zen.StatusRecycle, zen.StatusRecycling}
	var fleet []zensim.FleetInstance
	for i, s := range statuses {
		fleet = append(fleet, expired(string(rune('a'+i)), status(s)))
	}
	fleet = append(fleet,
		expired("prepaid", func(in *zensim.FleetInstance) { in.ChargeType = zen.ChargePrepaid }),
		expired("by-id"),
		expired("by-name", func(in *zensim.FleetInstance) { in.Name = "db-primary" }),
		expired("by-tag", func(in *zensim.FleetInstance) { in.Tags["reaper-protect"] = "true" }),
		expired("kept", func(in *zensim.FleetInstance) { in.Tags["reaper-keep"] = "true" }),
		expired("target"),
	)
	w := newWorld(t, fleet)
	res := w.cycle(func(s *reconcile.Settings) {
		s.Protect.InstanceIDs = []string{"by-id"}
		s.Protect.NamePatterns = []string{"db-*"}
	}, "run", false)
	w.wantTerminateCalls("target")
	for i, s := range statuses {
		if e := entry(t, res, string(rune('a'+i))); e.Action != reconcile.ActionSkipped || e.SkipReason != string(s) {
			t.Errorf("%s: %s/%s, want skipped/%s", s, e.Action, e.SkipReason, s)
		}
	}
	want := map[string]reconcile.Action{"prepaid": reconcile.ActionSkipped, "by-id": reconcile.ActionProtected,
		"by-name": reconcile.ActionProtected, "by-tag": reconcile.ActionProtected, "kept": reconcile.ActionExempt}
	for id, a := range want {
		if e := entry(t, res, id); e.Action != a {
			t.Errorf("%s: %s, want %s", id, e.Action, a)
		}
	}
}

func TestCommitmentLearnedOnceAndRetriedAfterInterval(t *testing.T) {
	w := newWorld(t, []zensim.FleetInstance{expired("c", func(in *zensim.FleetInstance) { in.Commitment = true })})
	if e := entry(t, w.cycle(nil, "run", false), "c"); e.SkipReason != reconcile.SkipCommitment {
		t.Fatalf("first: %s/%s", e.Action, e.SkipReason)
	}
	for range 6 {
		w.clock.Advance(24 * time.Hour) // six days: inside commitment_retry_after (168h)
		if e := entry(t, w.cycle(nil, "run", false), "c"); e.SkipReason != reconcile.SkipCommitment {
			t.Fatalf("inside the interval: %s/%s", e.Action, e.SkipReason)
		}
	}
	w.wantTerminateCalls("c")
	w.sim.Mutate("c", func(in *zensim.SimInstance) { in.Commitment = false })
	w.clock.Advance(24 * time.Hour)
	if e := entry(t, w.cycle(nil, "run", false), "c"); e.Action != reconcile.ActionTerminated {
		t.Fatalf("after the interval: %s/%s", e.Action, e.SkipReason)
	}
	w.wantTerminateCalls("c", "c")
}

func TestSubscriptionRefusedAndRemembered(t *testing.T) {
	prepaid := func(in *zensim.FleetInstance) { in.ChargeType = zen.ChargePrepaid }
	w := newWorld(t, []zensim.FleetInstance{expired("p", prepaid)})
	allow := func(s *reconcile.Settings) { s.AllowSubscriptionCancel = true }
	if e := entry(t, w.cycle(allow, "run", false), "p"); e.SkipReason != reconcile.SkipSubscription {
		t.Fatalf("first: %s/%s, want the API's refusal", e.Action, e.SkipReason)
	}
	w.clock.Advance(time.Hour)
	w.cycle(allow, "run", false)
	w.wantTerminateCalls("p")
}

func TestBlastRadiusBlocksWholeCycle(t *testing.T) {
	tests := []struct {
		name    string
		fleet   []zensim.FleetInstance
		before  int // inventory size of an earlier complete cycle
		mutate  func(*reconcile.Settings)
		limit   string
		blocked int
	}{
		{"per run", fleetOf(5, func(id string) zensim.FleetInstance { return expired(id) }), 0,
			func(s *reconcile.Settings) { s.MaxTerminationsPerRun = 4 }, "max_terminations_per_run", 5},
		{"percent", append(fleetOf(3, func(id string) zensim.FleetInstance { return expired(id) }), healthy("h1"), healthy("h2")), 0,
			func(s *reconcile.Settings) { s.MaxTerminationsPercent = 50 }, "max_terminations_percent", 3},
		{"fleet drop", []zensim.FleetInstance{expired("1"), healthy("2")}, 10,
			func(s *reconcile.Settings) { s.MaxFleetDropPercent = 50 }, "max_fleet_drop_percent", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.fleet)
			if tt.before > 0 {
				if _, err := w.store.PutRun(state.Run{ID: "19990101T000000Z-prev", InventoryComplete: true, InventorySize: tt.before}); err != nil {
					t.Fatal(err)
				}
			}
			res := w.cycle(tt.mutate, "run", false)
			if res.Status != reconcile.StatusBlocked || res.Block == nil || res.Block.Limit != tt.limit {
				t.Fatalf("status %s block %+v, want blocked by %s", res.Status, res.Block, tt.limit)
			}
			if got := res.Count()[reconcile.ActionBlocked]; got != tt.blocked {
				t.Errorf("blocked entries = %d, want %d", got, tt.blocked)
			}
			w.wantTerminateCalls()
		})
	}
}

func TestBadInventoryMeansNoAction(t *testing.T) {
	big := fleetOf(2500, func(id string) zensim.FleetInstance { return expired(id) })
	tests := []struct {
		name  string
		fault zensim.Fault
	}{
		{"page fails after retries", zensim.Fault{HTTPStatus: 500}},
		{"totalCount drifts", zensim.Fault{Kind: zensim.FaultTotalCountDrift}},
		{"malformed JSON", zensim.Fault{Kind: zensim.FaultMalformedJSON}},
		{"proxy HTML page", zensim.Fault{Kind: zensim.FaultHTML}},
		{"connection reset", zensim.Fault{Kind: zensim.FaultReset}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, big)
			w.sim.SetFault("DescribeInstances", tt.fault)
			res := w.cycle(func(s *reconcile.Settings) { s.MaxTerminationsPerRun = 5000 }, "run", false)
			if res.Status != reconcile.StatusAborted || res.InventoryComplete {
				t.Fatalf("status %s complete %v, want aborted", res.Status, res.InventoryComplete)
			}
			w.wantTerminateCalls()
			var ie *zen.IntegrityError
			if tt.name == "totalCount drifts" && !errors.As(res.Err, &ie) {
				t.Errorf("err = %v, want an IntegrityError", res.Err)
			}
		})
	}
}

func TestChangedBetweenInventoryAndAct(t *testing.T) {
	changes := map[string]func(*zensim.SimInstance){
		"status":      func(in *zensim.SimInstance) { in.Status = zen.StatusInstalling },
		"keep tag":    func(in *zensim.SimInstance) { in.Tags["reaper-keep"] = "true" },
		"expiry tag":  func(in *zensim.SimInstance) { in.Tags["reaper-expires-at"] = "2099-01-01" },
		"charge type": func(in *zensim.SimInstance) { in.ChargeType = zen.ChargePrepaid },
		"protect tag": func(in *zensim.SimInstance) { in.Tags["reaper-protect"] = "true" },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, []zensim.FleetInstance{expired("x"), expired("y")})
			w.sim.OnCall(func(c zensim.Call) {
				if c.Action == "DescribeInstances" && len(c.InstanceIDs) == 0 { // the inventory
					w.sim.Mutate("x", change)
				}
			})
			res := w.cycle(nil, "run", false)
			if e := entry(t, res, "x"); e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipChanged {
				t.Fatalf("x: %s/%s, want skipped/changed", e.Action, e.SkipReason)
			}
			w.wantTerminateCalls("y")
		})
	}
	t.Run("released", func(t *testing.T) {
		w := newWorld(t, []zensim.FleetInstance{expired("x")})
		w.sim.OnCall(func(c zensim.Call) {
			if c.Action == "DescribeInstances" && len(c.InstanceIDs) == 0 {
				w.sim.Remove("x")
			}
		})
		if e := entry(t, w.cycle(nil, "run", false), "x"); e.SkipReason != reconcile.SkipGone {
			t.Fatalf("x: %s/%s, want skipped/gone", e.Action, e.SkipReason)
		}
		w.wantTerminateCalls()
	})
}

func TestThrottledTerminationsAllLand(t *testing.T) {
	fleet := fleetOf(6, func(id string) zensim.FleetInstance { return expired(id) })
	w := newWorld(t, fleet)
	// Fewer throttled answers than the client's attempts per call: every throttled call lands on
	// a retry of the client, the only retry layer.
	w.sim.SetFault("TerminateInstance", zensim.Fault{HTTPStatus: 429, Count: 2})
	res := w.cycle(nil, "run", false)
	if got := res.Count()[reconcile.ActionTerminated]; got != 6 {
		t.Fatalf("terminated = %d, want 6 (actions %v)", got, res.Count())
	}
	var accepted []string
	for _, c := range w.sim.TerminateCalls() {
		if c.HTTPStatus == 200 {
			accepted = append(accepted, c.InstanceIDs...)
		}
	}
	slices.Sort(accepted)
	if len(accepted) != 6 || slices.Compact(accepted) == nil || len(slices.Compact(accepted)) != 6 {
		t.Fatalf("accepted calls = %v, want each of the 6 exactly once", accepted)
	}
}

func TestSecondReaperOnSameStateRefuses(t *testing.T) {
	w := newWorld(t, nil)
	_, err := state.Open(w.dir)
	var locked *state.LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second open: %v, want a LockedError", err)
	}
}
