package main

import (
	"context"
	"log/slog"
	"maps"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// scrapeCandidates returns reaper_candidates by policy as m serves it.
func scrapeCandidates(t *testing.T, m *metrics.Metrics) map[string]int {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	body := scrape(t, strings.TrimPrefix(srv.URL, "http://"))
	out := map[string]int{}
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), `reaper_candidates{policy="`)
		if !ok {
			continue
		}
		p, v, _ := strings.Cut(rest, `"} `)
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("reaper_candidates line %q: %v", line, err)
		}
		out[p] = int(n)
	}
	return out
}

// TestCandidateMetricAgreesWithReport: reaper_candidates{policy} and the report's by_policy both
// count instances per policy, so an instance with two reasons from one policy counts once.
func TestCandidateMetricAgreesWithReport(t *testing.T) {
	reason := func(p, r string) policy.Reason { return policy.Reason{Policy: p, Reason: r} }
	entry := func(id string, a reconcile.Action, rs ...policy.Reason) reconcile.Entry {
		return reconcile.Entry{Instance: zen.Instance{ID: id, Status: zen.StatusRunning}, Action: a, Terminate: rs}
	}
	res := &reconcile.Result{RunID: "r", Command: "plan", DryRun: true, Status: reconcile.StatusOK, InventoryComplete: true, InventorySize: 5,
		Entries: []reconcile.Entry{
			entry("1", reconcile.ActionWouldTerminate, reason("reaper.expiry", "tag reaper-expires-at passed"), reason("reaper.expiry", "age reached tag reaper-ttl")),
			entry("2", reconcile.ActionMarked, reason("reaper.expiry", "ttl"), reason("reaper.idle", "idle")),
			entry("3", reconcile.ActionBlocked, reason("reaper.idle", "idle"), reason("reaper.idle", "idle again")),
			entry("4", reconcile.ActionSkipped, reason("reaper.expiry", "guarded, not a candidate")),
			entry("5", reconcile.ActionKept),
		}}
	cfg := config.Default()
	engine, err := loadEngine(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	rep := toReport(res, cfg, engine)
	c := &cycler{metrics: metrics.New()}
	c.observe(res, rep)

	want := map[string]int{"reaper.expiry": 2, "reaper.idle": 2}
	if got := rep.Summary.ByPolicy; !maps.Equal(got, want) {
		t.Errorf("report by_policy = %v, want %v", got, want)
	}
	if got := scrapeCandidates(t, c.metrics); !maps.Equal(got, rep.Summary.ByPolicy) {
		t.Errorf("reaper_candidates = %v, report by_policy = %v: they must agree", got, rep.Summary.ByPolicy)
	}
}
