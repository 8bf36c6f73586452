package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// startSimWith is startSim with simulator options (PrepaidCancels).
func startSimWith(t *testing.T, o zensim.Options, fleet []zensim.FleetInstance) (*zensim.Server, string) {
	t.Helper()
	o.Keys, o.Seed = map[string]string{testKeyID: testSecret}, 3
	sim := zensim.New(o)
	if err := sim.Load(zensim.Fleet{Instances: fleet}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// latestReport reads the newest report.json (List sorts newest first) under the config's report directory.
func latestReport(t *testing.T, cfgDir string) *report.Run {
	t.Helper()
	runs, err := report.List(filepath.Join(cfgDir, "reports"))
	if err != nil || len(runs) == 0 {
		t.Fatalf("report list: %v (%d runs)", err, len(runs))
	}
	f, err := os.Open(filepath.Join(cfgDir, "reports", runs[0].RunID, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reportEntry(t *testing.T, r *report.Run, id string) report.Instance {
	t.Helper()
	for _, in := range r.Instances {
		if in.ID == id {
			return in
		}
	}
	t.Fatalf("no report entry for %s", id)
	return report.Instance{}
}

// Only a POSTPAID termination goes to the recycle bin (zenlayer-bmc-api.md §5): CREATE_FAILED is
// deleted at once and PREPAID only loses its subscription. The report and the announcement say so
// per instance, not "24 hours" for everyone.
func TestRecycleDeadlineOnlyWhereTheInstanceGoesToTheBin(t *testing.T) {
	const post, pre, failed = "7700000000000000001", "7700000000000000002", "7700000000000000003"
	fleet := []zensim.FleetInstance{expiredInstance(post), expiredInstance(pre), expiredInstance(failed)}
	fleet[1].ChargeType, fleet[1].AutoRenew = zen.ChargePrepaid, true
	fleet[2].Status = zen.StatusCreateFailed
	_, url := startSimWith(t, zensim.Options{PrepaidCancels: true}, fleet)
	rcv, hook := newReceiver(t)
	path, cfgDir := writeConfig(t, url, testSecret, "notify: {webhook_url_file: webhook}\ndry_run: false\n"+
		"safety: {grace_period: 0s, max_terminations_percent: 100, allow_subscription_cancel: true}\n")
	if err := os.WriteFile(filepath.Join(cfgDir, "webhook"), []byte(hook), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := reaper(t, "run", "--once", "--config", path); r.code != exitOK {
		t.Fatalf("run: code %d\n%s", r.code, r.stderr)
	}

	rep := latestReport(t, cfgDir)
	for _, id := range []string{post, pre, failed} {
		in := reportEntry(t, rep, id)
		if in.Action != report.ActionTerminated || in.TerminatedAt == nil {
			t.Fatalf("%s: %s, terminated_at %v; want terminated", id, in.Action, in.TerminatedAt)
		}
		hasDeadline := in.RecycleDeadline != nil
		if hasDeadline != (id == post) {
			t.Errorf("%s (%s, %s): recycle_deadline %v; want one only for POSTPAID", id, in.ChargeType, in.Status, in.RecycleDeadline)
		}
		if id == post && !in.RecycleDeadline.Equal(in.TerminatedAt.Add(24*time.Hour)) {
			t.Errorf("recycle_deadline %v, want terminated_at + 24h", in.RecycleDeadline)
		}
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var term map[string]any
	for _, e := range rcv.events {
		if e["kind"] == "terminated" {
			term = e
		}
	}
	if term == nil {
		t.Fatalf("no terminated event in %v", rcv.events)
	}
	text := term["text"].(string)
	if strings.Contains(text, "They stay in the recycle bin for 24 hours") {
		t.Errorf("announcement tells everyone 24 hours: %q", text)
	}
	for _, want := range []string{"1 stays in the recycle bin", "1 was deleted at once", "1 had its subscription cancelled"} {
		if !strings.Contains(text, want) {
			t.Errorf("announcement %q lacks %q", text, want)
		}
	}
	for _, x := range term["instances"].([]any) {
		in := x.(map[string]any)
		if deadline, has := in["recycle_deadline"]; has != (in["id"] == post) || (has && deadline == nil) {
			t.Errorf("announced %v: recycle_deadline %v; want one only for the POSTPAID instance", in["id"], deadline)
		}
	}
}

// A termination the API accepts that does not take is reported as unconfirmed, exits 1, is not
// counted as terminated, and is not called again inside the backoff.
func TestRunOnceUnconfirmedExitsOne(t *testing.T) {
	sim, url := startSim(t, append(fleetN(1, expiredInstance), healthyInstance("1")))
	sim.SetFault("TerminateInstance", zensim.Fault{Kind: zensim.FaultNotTaken})
	rcv, hook := newReceiver(t)
	path, cfgDir := writeConfig(t, url, testSecret, "notify: {webhook_url_file: webhook}\ndry_run: false\n"+
		"safety: {grace_period: 0s, max_terminations_percent: 100}\n")
	if err := os.WriteFile(filepath.Join(cfgDir, "webhook"), []byte(hook), 0o600); err != nil {
		t.Fatal(err)
	}
	r := reaper(t, "run", "--once", "--config", path)
	if r.code != exitFailure {
		t.Fatalf("code %d, want 1 for an unconfirmed termination\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "unconfirmed 1") || strings.Contains(r.stdout, "terminated 1") {
		t.Errorf("summary should count 1 unconfirmed and no terminated:\n%s", r.stdout)
	}
	rep := latestReport(t, cfgDir)
	if rep.Summary.ByAction[report.ActionUnconfirmed] != 1 || rep.Summary.ByAction[report.ActionTerminated] != 0 {
		t.Errorf("by_action %v, want 1 unconfirmed, 0 terminated", rep.Summary.ByAction)
	}
	id := fleetN(1, expiredInstance)[0].ID
	if in := reportEntry(t, rep, id); in.RequestID == "" || in.RecycleDeadline != nil || in.TerminatedAt != nil || in.Error == "" {
		t.Errorf("report entry %+v: want a request ID and an error, no terminated_at or recycle_deadline", in)
	}
	if k := rcv.kinds(); len(k) == 0 || k[len(k)-1] != "unconfirmed" {
		t.Errorf("events %v, want an unconfirmed event", k)
	}

	if r := reaper(t, "run", "--once", "--config", path); r.code != exitOK {
		t.Fatalf("second run inside the backoff: code %d, want 0 (skipped, no call)\n%s", r.code, r.stderr)
	}
	if n := terminateCount(sim); n != 1 {
		t.Fatalf("TerminateInstance calls = %d, want 1: no second call inside the backoff", n)
	}
	if in := reportEntry(t, latestReport(t, cfgDir), id); in.Action != report.ActionSkipped || in.SkipReason != "unconfirmed" {
		t.Errorf("second run: %s/%s, want skipped/unconfirmed", in.Action, in.SkipReason)
	}
}

// An unconfirmed termination fails `run --once` (exit 1). The metrics of such a run are tested in
// internal/record (TestObserveCountsOnlyConfirmedTerminations).
func TestUnconfirmedExitCode(t *testing.T) {
	res := &reconcile.Result{Status: reconcile.StatusOK, InventoryComplete: true, Entries: []reconcile.Entry{
		{Instance: &zen.Instance{ID: "1", Status: zen.StatusRecycle}, Action: reconcile.ActionTerminated},
		{Instance: &zen.Instance{ID: "2", Status: zen.StatusRunning}, Action: reconcile.ActionUnconfirmed},
	}}
	if got := exitCode(res, false); got != exitFailure {
		t.Errorf("exit code %d, want 1 for an unconfirmed termination", got)
	}
}
