package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// scrape returns the /metrics text of m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(newMux(m, nil))
	t.Cleanup(srv.Close)
	code, body := get(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200:\n%s", code, body)
	}
	return body
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// hasLine reports whether the exposition contains line exactly.
func hasLine(body, line string) bool {
	for l := range strings.Lines(body) {
		if strings.TrimSuffix(l, "\n") == line {
			return true
		}
	}
	return false
}

func TestScrapeHasEveryMetric(t *testing.T) {
	m := New()
	at := time.Unix(1795680000, 0)
	m.ObserveCycle("ok", 90*time.Second, true, at)
	m.ObserveCycle("blocked", time.Second, false, at.Add(time.Hour))
	m.SetInstances(map[string]int{"RUNNING": 3, "STOPPED": 1})
	m.SetCandidates(map[string]int{"reaper.idle": 2})
	m.AddTermination("terminated")
	m.AddBlocked("max_terminations_per_run")
	m.ObserveAPI("DescribeInstances", "OK", 200*time.Millisecond)
	m.ObserveAPI("TerminateInstance", "REQUEST_LIMIT_EXCEEDED", 50*time.Millisecond)
	m.ObservePolicyEval(3 * time.Millisecond)
	m.AddReload(ReloadError)
	m.AddTrafficCalls(7)
	m.AddTrafficCalls(5)
	m.AddTagWrite("failed")
	m.SetTrafficPending(9)
	m.SetTrafficPending(4)

	body := scrape(t, m)
	for _, name := range []string{
		"reaper_cycles_total", "reaper_cycle_duration_seconds", "reaper_last_success_timestamp_seconds",
		"reaper_instances", "reaper_candidates", "reaper_terminations_total", "reaper_blocked_cycles_total",
		"reaper_api_requests_total", "reaper_api_request_duration_seconds", "reaper_policy_eval_seconds",
		"reaper_config_reloads_total", "reaper_traffic_calls_total", "reaper_traffic_calls_last_cycle",
		"reaper_traffic_pending", "reaper_tag_writes_total", "go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(body, "# TYPE "+name+" ") {
			t.Errorf("metric %s missing from the scrape", name)
		}
	}
	for _, line := range []string{
		`reaper_cycles_total{result="ok"} 1`,
		`reaper_cycles_total{result="blocked"} 1`,
		`reaper_cycle_duration_seconds_count 2`,
		`reaper_last_success_timestamp_seconds 1.79568e+09`,
		`reaper_instances{status="RUNNING"} 3`,
		`reaper_instances{status="STOPPED"} 1`,
		`reaper_candidates{policy="reaper.idle"} 2`,
		`reaper_terminations_total{result="terminated"} 1`,
		`reaper_blocked_cycles_total{reason="max_terminations_per_run"} 1`,
		`reaper_api_requests_total{action="DescribeInstances",code="OK"} 1`,
		`reaper_api_requests_total{action="TerminateInstance",code="REQUEST_LIMIT_EXCEEDED"} 1`,
		`reaper_api_request_duration_seconds_count{action="DescribeInstances"} 1`,
		`reaper_policy_eval_seconds_count 1`,
		`reaper_config_reloads_total{result="error"} 1`,
		`reaper_traffic_calls_total 12`,
		`reaper_traffic_calls_last_cycle 5`,
		`reaper_traffic_pending 4`,
		`reaper_tag_writes_total{result="failed"} 1`,
		"# TYPE reaper_cycle_duration_seconds histogram",
		"# TYPE reaper_traffic_calls_total counter",
		"# TYPE reaper_traffic_calls_last_cycle gauge",
		"# TYPE reaper_traffic_pending gauge",
	} {
		if !hasLine(body, line) {
			t.Errorf("scrape lacks line %q", line)
		}
	}
}

// TestKnownLabelsStartAtZero: the series of the declared vocabulary (internal/record declares
// reconcile's and pins it with a test) and of this package's own words exist before any event.
func TestKnownLabelsStartAtZero(t *testing.T) {
	m := New()
	m.Declare(Vocabulary{CycleResults: []string{"failed"}, TerminationResults: []string{"failed", "unconfirmed"},
		BlockedLimits: []string{"max_fleet_drop_percent", "clock"}})
	body := scrape(t, m)
	for _, line := range []string{
		`reaper_cycles_total{result="failed"} 0`,
		`reaper_cycles_total{result="panic"} 0`,
		`reaper_terminations_total{result="failed"} 0`,
		`reaper_terminations_total{result="unconfirmed"} 0`,
		`reaper_blocked_cycles_total{reason="max_fleet_drop_percent"} 0`,
		`reaper_blocked_cycles_total{reason="clock"} 0`,
		`reaper_config_reloads_total{result="error"} 0`,
		`reaper_last_success_timestamp_seconds 0`,
	} {
		if !hasLine(body, line) {
			t.Errorf("fresh scrape lacks line %q", line)
		}
	}
}

func TestGaugeLabelsVanish(t *testing.T) {
	m := New()
	m.SetInstances(map[string]int{"RUNNING": 3, "STOPPED": 1})
	m.SetCandidates(map[string]int{"reaper.idle": 2, "reaper.expiry": 1})
	m.SetInstances(map[string]int{"RUNNING": 2})
	m.SetCandidates(nil)

	body := scrape(t, m)
	if !hasLine(body, `reaper_instances{status="RUNNING"} 2`) {
		t.Error(`want reaper_instances{status="RUNNING"} 2`)
	}
	for _, gone := range []string{`reaper_instances{status="STOPPED"}`, `reaper_candidates{`} {
		if strings.Contains(body, gone) {
			t.Errorf("scrape still has %s after it vanished", gone)
		}
	}
}

func TestSetInstancesCopiesTheMap(t *testing.T) {
	m := New()
	in := map[string]int{"RUNNING": 3}
	m.SetInstances(in)
	in["RUNNING"] = 99
	if body := scrape(t, m); !hasLine(body, `reaper_instances{status="RUNNING"} 3`) {
		t.Error("changing the caller's map changed the metric")
	}
}
