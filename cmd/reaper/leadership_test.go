package main

import (
	"fmt"
	"testing"
	"time"
)

// TestBboltDaemonLeads: with bbolt there is no election; the only reaper on its store leads it.
func TestBboltDaemonLeads(t *testing.T) {
	_, url := startSim(t, fleetN(2, healthyInstance))
	addr := freePort(t)
	path, _ := writeConfig(t, url, testSecret, fmt.Sprintf("schedule: \"@every 1s\"\nmetrics: {listen: %q}\n", addr))
	d := startDaemon(t, path, map[string]string{}, newFakeSchedule(t, "@every 1s").clock)
	eventually(t, "reaper_leader 1", 20*time.Second, func() bool { return hasMetricLine(scrape(t, addr), "reaper_leader 1") })
	if code := d.stop(t); code != exitOK {
		t.Fatalf("exit code %d\n%s", code, d.stderr.String())
	}
}
