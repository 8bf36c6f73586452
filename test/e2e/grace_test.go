package e2e_test

import (
	"maps"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// withGraceAndRequiredTeam gives a 24h grace period and switches reaper.tags on for the tag team
// (after 1h of instance age), so two bundled policies can nominate the same instance.
func withGraceAndRequiredTeam(s *reconcile.Settings) {
	s.GracePeriod = 24 * time.Hour
	s.Params = maps.Clone(s.Params)
	s.Params["tags"] = map[string]any{"required": []any{"team"}, "grace": "1h"}
}

// TestGraceIsPerPolicyEndToEnd: reaper.expiry nominates an instance at t0; 23h later its owner
// extends the expiry and, in the same hour, drops the team tag, so reaper.tags nominates it. The
// instance must wait reaper.tags' own grace period, not the 1h left of reaper.expiry's.
func TestGraceIsPerPolicyEndToEnd(t *testing.T) {
	in := expired("x")
	in.Tags["team"] = "ci"
	w := newWorld(t, []zensim.FleetInstance{in})
	cycle := func(at time.Duration) reconcile.Entry {
		t.Helper()
		w.clock.Set(t0.Add(at))
		return entry(t, w.cycle(withGraceAndRequiredTeam, "run", false), "x")
	}
	if e := cycle(0); e.Action != reconcile.ActionMarked || !e.DueAt().Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("t0: %s due %v, want marked, due t0+24h", e.Action, e.DueAt())
	}
	w.sim.Mutate("x", func(s *zensim.SimInstance) {
		s.Tags["reaper-expires-at"] = "2099-01-01"
		delete(s.Tags, "team")
	})
	for _, at := range []time.Duration{23 * time.Hour, 24 * time.Hour, 47*time.Hour - time.Minute} {
		e := cycle(at)
		if e.Action != reconcile.ActionMarked || !e.MarkedAt().Equal(t0.Add(23*time.Hour)) || !e.DueAt().Equal(t0.Add(47*time.Hour)) {
			t.Fatalf("t0+%v: %s marked %v due %v, want marked at t0+23h, due t0+47h", at, e.Action, e.MarkedAt(), e.DueAt())
		}
	}
	w.wantTerminateCalls()
	if e := cycle(47 * time.Hour); e.Action != reconcile.ActionTerminated {
		t.Fatalf("t0+47h: %s, want terminated", e.Action)
	}
	w.wantTerminateCalls("x")
}

// TestRecheckNeedsTheDuePolicyEndToEnd: the instance is due through reaper.expiry; between the
// inventory and the act step its owner extends the expiry and drops the team tag. On the fresh
// data only reaper.tags nominates it, a policy with no mark yet: it is not terminated.
func TestRecheckNeedsTheDuePolicyEndToEnd(t *testing.T) {
	in := expired("x")
	in.Tags["team"] = "ci"
	w := newWorld(t, []zensim.FleetInstance{in})
	w.cycle(withGraceAndRequiredTeam, "run", false)
	w.clock.Set(t0.Add(24 * time.Hour))
	w.sim.OnCall(func(c zensim.Call) {
		if c.Action == "DescribeInstances" && len(c.InstanceIDs) == 0 { // the inventory
			w.sim.Mutate("x", func(s *zensim.SimInstance) {
				s.Tags["reaper-expires-at"] = "2099-01-01"
				delete(s.Tags, "team")
			})
		}
	})
	e := entry(t, w.cycle(withGraceAndRequiredTeam, "run", false), "x")
	if e.Action != reconcile.ActionSkipped || e.SkipReason != reconcile.SkipChanged {
		t.Fatalf("%s/%s, want skipped/changed", e.Action, e.SkipReason)
	}
	w.wantTerminateCalls()
}
