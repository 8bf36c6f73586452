package metrics

import "testing"

func TestLeaderGauge(t *testing.T) {
	m := New()
	if body := scrape(t, m); !hasLine(body, "reaper_leader 0") {
		t.Errorf("reaper_leader before any leadership is not 0:\n%s", body)
	}
	m.SetLeader(true)
	if body := scrape(t, m); !hasLine(body, "reaper_leader 1") || !hasLine(body, "# TYPE reaper_leader gauge") {
		t.Errorf("reaper_leader after SetLeader(true) is not a gauge at 1")
	}
	m.SetLeader(false)
	if body := scrape(t, m); !hasLine(body, "reaper_leader 0") {
		t.Errorf("reaper_leader after SetLeader(false) is not 0")
	}
}
