package record

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// TestCandidateMetricAgreesWithReport: reaper_candidates{policy} and the report's by_policy both
// count instances per policy, so an instance with two reasons from one policy counts once.
func TestCandidateMetricAgreesWithReport(t *testing.T) {
	res := result(reconcile.StatusOK,
		entry("1", reconcile.ActionWouldTerminate, reason("reaper.expiry", "tag reaper-expires-at passed"), reason("reaper.expiry", "age reached tag reaper-ttl")),
		entry("2", reconcile.ActionMarked, reason("reaper.expiry", "ttl"), reason("reaper.idle", "idle")),
		entry("3", reconcile.ActionBlocked, reason("reaper.idle", "idle"), reason("reaper.idle", "idle again")),
		entry("4", reconcile.ActionSkipped, reason("reaper.expiry", "guarded, not a candidate")),
		entry("5", reconcile.ActionKept),
	)
	rep := Report(res, testConfig(t), fakePolicies{})
	m := NewMetrics()
	Observe(m, res, rep)

	want := map[string]int{"reaper.expiry": 2, "reaper.idle": 2}
	if got := rep.Summary.ByPolicy; !maps.Equal(got, want) {
		t.Errorf("report by_policy = %v, want %v", got, want)
	}
	if got := series(t, scrape(t, m), "reaper_candidates", "policy"); !maps.Equal(got, rep.Summary.ByPolicy) {
		t.Errorf("reaper_candidates = %v, report by_policy = %v: they must agree", got, rep.Summary.ByPolicy)
	}
}

// TestObserveCountsOnlyConfirmedTerminations: an unconfirmed termination has its own result, a
// refusal its refused_ result, and neither counts as terminated or as a successful cycle.
func TestObserveCountsOnlyConfirmedTerminations(t *testing.T) {
	refused := entry("4", reconcile.ActionSkipped)
	refused.SkipReason = reconcile.SkipCommitment
	refused.SetRequestID("req-4")
	res := result(reconcile.StatusOK,
		entry("1", reconcile.ActionTerminated), entry("2", reconcile.ActionUnconfirmed), entry("3", reconcile.ActionUnconfirmed), refused)
	res.Entries[0].Instance.Status = zen.StatusRecycle
	m := NewMetrics()
	Observe(m, res, Report(res, testConfig(t), fakePolicies{}))
	body := scrape(t, m)
	want := map[string]int{"terminated": 1, "unconfirmed": 2, "failed": 0, "refused_commitment": 1}
	if got := series(t, body, "reaper_terminations_total", "result"); !maps.Equal(got, want) {
		t.Errorf("reaper_terminations_total = %v, want %v", got, want)
	}
	if !strings.Contains(body, "reaper_last_success_timestamp_seconds 0\n") {
		t.Error("a cycle with unconfirmed terminations counted as a success")
	}
	if Succeeded(res) {
		t.Error("Succeeded = true for a cycle with unconfirmed terminations")
	}
}

func TestObserveIncompleteInventory(t *testing.T) {
	res := result(reconcile.StatusAborted)
	res.InventoryComplete = false
	m := NewMetrics()
	m.SetInstances(map[string]int{"RUNNING": 3})
	Observe(m, res, Report(res, testConfig(t), fakePolicies{}))
	body := scrape(t, m)
	if got := series(t, body, "reaper_instances", "status"); got["RUNNING"] != 3 {
		t.Errorf("reaper_instances = %v: an aborted cycle must leave the last complete inventory's figures", got)
	}
	if got := series(t, body, "reaper_cycles_total", "result"); got["aborted"] != 1 {
		t.Errorf("reaper_cycles_total = %v, want aborted 1", got)
	}
	Observe(nil, res, nil) // no metrics outside the daemon: no panic
}

// TestMetricLabelsFollowVocabulary: the label values of the cycle, termination and blocked
// counters are reconcile's words, all of them from the start and nothing else (besides the
// metrics package's own panic result), and every block is counted under its limit.
func TestMetricLabelsFollowVocabulary(t *testing.T) {
	m := NewMetrics()
	for _, limit := range reconcile.Limits() {
		res := result(reconcile.StatusBlocked)
		res.Block = &reconcile.Block{Limit: limit}
		Observe(m, res, Report(res, testConfig(t), fakePolicies{}))
	}
	body := scrape(t, m)

	var statuses []string
	for _, s := range reconcile.Statuses() {
		statuses = append(statuses, string(s))
	}
	tests := []struct {
		name, label string
		want        []string
	}{
		{"reaper_cycles_total", "result", append(statuses, metrics.CyclePanic)},
		{"reaper_terminations_total", "result", []string{
			string(reconcile.ActionTerminated), string(reconcile.ActionUnconfirmed), string(reconcile.ActionFailed)}},
		{"reaper_blocked_cycles_total", "reason", reconcile.Limits()},
		{"reaper_tag_writes_total", "result", reconcile.TagWrites()},
	}
	for _, tt := range tests {
		got := slices.Sorted(maps.Keys(series(t, body, tt.name, tt.label)))
		want := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s{%s} = %v, want %v", tt.name, tt.label, got, want)
		}
	}
	for limit, n := range series(t, body, "reaper_blocked_cycles_total", "reason") {
		if n != 1 {
			t.Errorf("reaper_blocked_cycles_total{reason=%q} = %d, want 1", limit, n)
		}
	}
	// Every termination result is an action, and the ones counted are those the act step ends in.
	for _, a := range terminationResults {
		if !slices.Contains(reconcile.Actions(), a) || !a.IsCandidate() {
			t.Errorf("termination result %q is not a candidate action of reconcile", a)
		}
	}
}

// TestObserveCountsTagWrites: every mark tag write of the cycle counts once under its result.
func TestObserveCountsTagWrites(t *testing.T) {
	res := result(reconcile.StatusOK)
	res.TagWrites = []reconcile.TagWrite{
		{InstanceID: "1", Result: reconcile.TagWriteOK}, {InstanceID: "2", Result: reconcile.TagWriteOK},
		{InstanceID: "3", Result: reconcile.TagWriteFailed, Err: "boom"},
	}
	m := NewMetrics()
	Observe(m, res, Report(res, testConfig(t), fakePolicies{}))
	want := map[string]int{"ok": 2, "failed": 1}
	if got := series(t, scrape(t, m), "reaper_tag_writes_total", "result"); !maps.Equal(got, want) {
		t.Errorf("reaper_tag_writes_total = %v, want %v", got, want)
	}
}
