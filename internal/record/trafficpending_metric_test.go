package record

import (
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// TestTrafficPendingMetricAgreesWithReport: reaper_traffic_pending is the report's
// summary.traffic_pending of the last cycle with a complete inventory; a later cycle with none
// pending sets it back to 0, and an aborted cycle leaves it as it was, like the fleet gauges.
func TestTrafficPendingMetricAgreesWithReport(t *testing.T) {
	m := NewMetrics()
	res := result(reconcile.StatusOK, entry("1", reconcile.ActionKept), entry("2", reconcile.ActionKept), entry("3", reconcile.ActionKept))
	res.Entries[0].TrafficPending, res.Entries[2].TrafficPending = true, true
	rep := Report(res, testConfig(t), fakePolicies{})
	Observe(m, res, rep)
	if rep.Summary.TrafficPending != 2 || !strings.Contains(scrape(t, m), "\nreaper_traffic_pending 2\n") {
		t.Errorf("report traffic_pending %d; scrape:\n%s", rep.Summary.TrafficPending, grep(scrape(t, m), "reaper_traffic_pending"))
	}
	aborted := result(reconcile.StatusAborted, entry("1", reconcile.ActionKept))
	aborted.InventoryComplete = false
	Observe(m, aborted, Report(aborted, testConfig(t), fakePolicies{}))
	if !strings.Contains(scrape(t, m), "\nreaper_traffic_pending 2\n") {
		t.Errorf("an aborted cycle changed reaper_traffic_pending:\n%s", grep(scrape(t, m), "reaper_traffic_pending"))
	}
	res = result(reconcile.StatusOK, entry("1", reconcile.ActionKept))
	Observe(m, res, Report(res, testConfig(t), fakePolicies{}))
	if !strings.Contains(scrape(t, m), "\nreaper_traffic_pending 0\n") {
		t.Errorf("a cycle with nothing pending:\n%s", grep(scrape(t, m), "reaper_traffic_pending"))
	}
}

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
