package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func idleInstance(id string) zensim.FleetInstance {
	in := healthyInstance(id)
	in.Name = "idle-" + id
	in.Traffic = zensim.TrafficProfile{InBps: 10, OutBps: 10}
	return in
}

// trafficCalls counts the DescribeInstanceTraffic calls the simulator saw.
func trafficCalls(sim *zensim.Server) int {
	n := 0
	for _, c := range sim.Calls() {
		if c.Action == "DescribeInstanceTraffic" {
			n++
		}
	}
	return n
}

// TestPlanTrafficBudget: `reaper plan` spends at most idle.budget traffic calls; the instances
// past it are pending in the summary and every report file and are not idle candidates; the
// next plan fetches them (the fetched ones are cached), and a third costs nothing.
func TestPlanTrafficBudget(t *testing.T) {
	sim, url := startSim(t, fleetN(4, idleInstance))
	path, dir := writeConfig(t, url, testSecret, "safety: {grace_period: 0s, max_terminations_percent: 100}\nidle: {budget: 6}\n")

	r := reaper(t, "plan", "--config", path)
	if r.code != exitOK {
		t.Fatalf("plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := trafficCalls(sim); n != 6 {
		t.Errorf("first plan: %d traffic calls, want 6 (the budget: 2 cold instances of 3 calls)", n)
	}
	for _, want := range []string{"would_terminate 2", "kept 2", "traffic: pending for 2 instances"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, r.stdout)
		}
	}
	run, err := report.Load(filepath.Join(dir, "reports"), report.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if run.Summary.TrafficPending != 2 {
		t.Errorf("report summary traffic_pending %d, want 2", run.Summary.TrafficPending)
	}
	for _, in := range run.Instances {
		pending := in.TrafficStatus == report.TrafficPending
		if pending == (in.Traffic != nil) || pending == (in.Action == report.ActionWouldTerminate) {
			t.Errorf("%s: action %s, traffic %v, status %q; want pending exactly when not fetched, and then never idle",
				in.ID, in.Action, in.Traffic, in.TrafficStatus)
		}
	}
	for file, want := range map[string]string{"report.csv": ",pending\n", "report.md": "| Traffic | pending for 2 instances", "report.html": "Traffic pending"} {
		b, err := os.ReadFile(filepath.Join(dir, "reports", run.RunID, file))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q (%v)", file, want, err)
		}
	}

	before := trafficCalls(sim)
	if r := reaper(t, "plan", "--config", path); r.code != exitOK || !strings.Contains(r.stdout, "would_terminate 4") ||
		strings.Contains(r.stdout, "pending") {
		t.Errorf("second plan: code %d, want all 4 idle and none pending:\n%s", r.code, r.stdout)
	}
	if n := trafficCalls(sim) - before; n != 6 {
		t.Errorf("second plan: %d traffic calls, want 6 (the 2 pending ones; the others cached)", n)
	}
	before = trafficCalls(sim)
	reaper(t, "plan", "--config", path)
	if n := trafficCalls(sim) - before; n != 0 {
		t.Errorf("third plan: %d traffic calls, want 0 (all cached)", n)
	}
}
