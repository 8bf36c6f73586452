package statetest

import (
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// testTrafficDays: the per-day aggregates of a traffic record round-trip exactly, order kept,
// figures at the ends of int64 included; a record without days reads back without days, and a
// replaced record loses the days it no longer has.
func testTrafficDays(t *testing.T, e *env) {
	s := e.store(Options{})
	zero := 0
	d0 := t0.Truncate(24 * time.Hour).Add(-48 * time.Hour)
	days := []state.TrafficDay{
		{Day: d0, From: d0.Add(8 * time.Hour), Through: d0.Add(24 * time.Hour), Samples: 192, Missing: 0,
			InSum: 1 << 40, OutSum: 7, InTop: state.Figures{1 << 62, 5, 5, 0}, OutTop: state.Figures{9, 8}, Keep: 58},
		{Day: d0.Add(24 * time.Hour), From: d0.Add(24 * time.Hour), Through: d0.Add(48 * time.Hour), Samples: 286, Missing: 2,
			InTop: state.Figures{3}, OutTop: state.Figures{-1}, Keep: 58},
		{Day: d0.Add(48 * time.Hour), From: d0.Add(48 * time.Hour), Through: t0, Keep: 58}, // nothing arrived yet
	}
	a := state.TrafficRecord{InstanceID: "a", FetchedAt: t0, WindowStart: d0.Add(8 * time.Hour), WindowEnd: t0,
		Samples: 478, Missing: &zero, Expected: 864, Days: days}
	plain := state.TrafficRecord{InstanceID: "plain", FetchedAt: t0, Missing: &zero}
	ok(t, s.PutTraffic(a, plain))
	for _, want := range []state.TrafficRecord{a, plain} {
		got, found, err := s.Traffic(want.InstanceID)
		if err != nil || !found {
			t.Fatalf("Traffic(%s) = _, %v, %v; want found", want.InstanceID, found, err)
		}
		checkEqual(t, "traffic days "+want.InstanceID, got, want)
	}
	a.Days = days[1:]
	ok(t, s.PutTraffic(a))
	got, _, err := s.Traffic("a")
	ok(t, err)
	checkEqual(t, "traffic days after replace", got.Days, days[1:])
}
