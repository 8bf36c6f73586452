package e2e_test

import (
	"context"
	"fmt"
	"net/http/httptest"
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
		if e.Action == reconcile.ActionWouldTerminate || e.Action == reconcile.ActionMarked || len(e.Terminate()) > 0 {
			t.Errorf("instance %s with null samples: action %s, reasons %v; want no candidate", id, e.Action, e.Terminate())
		}
		if e.Traffic == nil || e.Traffic.Complete {
			t.Errorf("instance %s with null samples: traffic %+v, want complete false", id, e.Traffic)
		}
	}
}

// blankCreateTime edits a DescribeInstances answer (see rewriteDescribe) so that the instances
// listed in how get their createTime sent as null, "" or not at all.
func blankCreateTime(how map[string]string) func(m map[string]any) {
	return func(m map[string]any) {
		switch how[fmt.Sprint(m["instanceId"])] {
		case "null":
			m["createTime"] = nil
		case "empty":
			m["createTime"] = ""
		case "missing":
			delete(m, "createTime")
		}
	}
}

// TestAbsentCreateTimeNeverReadsOld: an instance whose createTime the API leaves out (null, ""
// or missing) has no age. It is never old enough for a TTL, a failed-build timeout or the idle
// policy, and its traffic is not fetched; the same instances with their createTime are
// candidates of each.
func TestAbsentCreateTimeNeverReadsOld(t *testing.T) {
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
	quiet := func(id string) zensim.FleetInstance { return idleSince(id, nil, nil) }
	w := newWorld(t, []zensim.FleetInstance{
		ttl("11"), ttl("12"), failed("21"), failed("22"), quiet("31"), quiet("32"), quiet("33"), quiet("34"),
	})
	absent := map[string]string{"12": "null", "22": "empty", "32": "missing", "33": "null", "34": "empty"}
	srv := httptest.NewServer(rewriteDescribe{sim: w.sim, edit: blankCreateTime(absent)})
	t.Cleanup(srv.Close)
	client, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey(keyID, secret), zen.WithClock(w.clock.Now),
		zen.WithRetry(3, time.Millisecond, 5*time.Millisecond), zen.WithRequestsPerSecond(1000))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := reconcile.New(reconcile.Options{
		API: client, Evaluator: w.engine, Store: w.store, Settings: defaultSettings(w.engine), Now: w.clock.Now,
		Enricher: enrich.New(enrich.Options{API: client, Cache: w.store}),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rec.Run(context.Background(), reconcile.Cycle{RunID: "20261126T080000Z-age", Command: "plan", DryRun: true})
	if err != nil || res.Status != reconcile.StatusOK {
		t.Fatalf("cycle: status %s: %v", res.Status, err)
	}
	for _, id := range []string{"11", "21", "31"} {
		if e := entry(t, res, id); e.Action != reconcile.ActionWouldTerminate {
			t.Errorf("control instance %s: action %s, want would_terminate", id, e.Action)
		}
	}
	for id, how := range absent {
		e := entry(t, res, id)
		if e.Action == reconcile.ActionWouldTerminate || e.Action == reconcile.ActionMarked || len(e.Terminate()) > 0 {
			t.Errorf("instance %s with createTime %s: action %s, reasons %v; want no candidate", id, how, e.Action, e.Terminate())
		}
		if !e.Instance.CreatedAt.IsZero() || e.Traffic != nil {
			t.Errorf("instance %s with createTime %s: created %v, traffic %+v; want no creation time and no traffic", id, how, e.Instance.CreatedAt, e.Traffic)
		}
	}
	for _, c := range w.sim.Calls() {
		if c.Action == "DescribeInstanceTraffic" && absent[c.InstanceIDs[0]] != "" {
			t.Errorf("traffic fetched for %s, whose age is unknown", c.InstanceIDs[0])
		}
	}
}
