package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/enrich"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// idleSince is an old, quiet instance: the idle policy nominates it when its traffic is complete.
// gapFrom..gapTo (either may be nil) is a stretch whose samples the simulator sends with null
// figures.
func idleSince(id string, gapFrom, gapTo *time.Time) zensim.FleetInstance {
	return zensim.FleetInstance{
		ID: id, Name: "quiet-" + id, Zone: "HKG-A", Type: "S9I", Status: zen.StatusRunning,
		ChargeType: zen.ChargePostpaid, CreatedAt: t0.Add(-30 * 24 * time.Hour), Tags: map[string]string{"owner": "ci"},
		Traffic: zensim.TrafficProfile{InBps: 10, OutBps: 10, GapsFrom: gapFrom, GapsTo: gapTo, GapsAsNull: gapFrom != nil || gapTo != nil},
	}
}

// TestNullTrafficIsNeverIdle: traffic samples whose figures the API sends as null are missing
// samples, not zero bandwidth. An instance whose window has any of them has incomplete traffic
// and is never an idle candidate, in a real cycle with the bundled policies, the enricher and the
// simulator; the same instance with every figure present is one.
func TestNullTrafficIsNeverIdle(t *testing.T) {
	all := t0.Add(-40 * 24 * time.Hour)
	hourFrom, hourTo := t0.Add(-10*time.Hour), t0.Add(-9*time.Hour) // 12 of 864 samples: 1.4 %
	w := newWorld(t, []zensim.FleetInstance{
		idleSince("100", nil, nil),
		idleSince("200", &all, nil),
		idleSince("300", &hourFrom, &hourTo),
	})
	rec, err := reconcile.New(reconcile.Options{
		API: w.client, Evaluator: w.engine, Store: w.store, Settings: defaultSettings(w.engine), Now: w.clock.Now,
		Enricher: enrich.New(enrich.Options{API: w.client, Cache: w.store}),
		Sleep:    func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rec.Run(context.Background(), reconcile.Cycle{RunID: "20261126T080000Z-null", Command: "plan", DryRun: true})
	if err != nil || res.Status != reconcile.StatusOK {
		t.Fatalf("cycle: status %s: %v", res.Status, err)
	}

	control := entry(t, res, "100")
	if control.Action != reconcile.ActionWouldTerminate || control.Traffic == nil || !control.Traffic.Complete {
		t.Fatalf("control instance: action %s, traffic %+v; want would_terminate on complete traffic", control.Action, control.Traffic)
	}
	for _, id := range []string{"200", "300"} {
		e := entry(t, res, id)
		if e.Action == reconcile.ActionWouldTerminate || e.Action == reconcile.ActionMarked || len(e.Terminate) > 0 {
			t.Errorf("instance %s with null samples: action %s, reasons %v; want no candidate", id, e.Action, e.Terminate)
		}
		if e.Traffic == nil || e.Traffic.Complete {
			t.Errorf("instance %s with null samples: traffic %+v, want complete false", id, e.Traffic)
		}
	}
}
