package state

import (
	"fmt"
	"testing"
	"time"
)

func TestTraffic(t *testing.T) {
	s := openStore(t)
	a := TrafficRecord{InstanceID: "a", FetchedAt: t0, WindowStart: t0.Add(-72 * time.Hour), WindowEnd: t0,
		Samples: 288, Expected: 288, InP95: 1200, OutP95: 3400, InAvg: 800, OutAvg: 900}
	b := TrafficRecord{InstanceID: "b", FetchedAt: t0, Error: "throttled"}
	if err := s.PutTraffic(b, a); err != nil {
		t.Fatal(err)
	}
	for _, want := range []TrafficRecord{a, b} {
		got, ok, err := s.Traffic(want.InstanceID)
		if err != nil || !ok {
			t.Fatalf("Traffic(%s) = _, %v, %v; want found", want.InstanceID, ok, err)
		}
		checkEqual(t, "traffic "+want.InstanceID, got, want)
	}
	if got, ok, err := s.Traffic("c"); ok || err != nil || got != (TrafficRecord{}) {
		t.Errorf("Traffic(c) = %+v, %v, %v; want zero, false, nil", got, ok, err)
	}
}

func TestPutTrafficDefaultsAndValidation(t *testing.T) {
	s := openStore(t, WithNow(fixedClock(t0)))
	if err := s.PutTraffic(TrafficRecord{InstanceID: "a"}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Traffic("a"); !got.FetchedAt.Equal(t0) {
		t.Errorf("FetchedAt = %v, want %v", got.FetchedAt, t0)
	}
	if err := s.PutTraffic(TrafficRecord{InstanceID: "b"}, TrafficRecord{}); err == nil {
		t.Fatal("PutTraffic with an empty instance id succeeded, want an error")
	}
	if _, ok, _ := s.Traffic("b"); ok {
		t.Error("record b was stored by a failed PutTraffic, want the whole batch rolled back")
	}
}

func TestPruneTraffic(t *testing.T) {
	s := openStore(t)
	var recs []TrafficRecord
	for i := range 10 {
		recs = append(recs, TrafficRecord{InstanceID: fmt.Sprint("i-", i), FetchedAt: t0})
	}
	if err := s.PutTraffic(recs...); err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{"i-1": true, "i-7": true, "i-absent": true}
	if err := s.PruneTraffic(keep); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		_, ok, err := s.Traffic(r.InstanceID)
		if err != nil {
			t.Fatal(err)
		}
		if want := keep[r.InstanceID]; ok != want {
			t.Errorf("Traffic(%s) found = %v, want %v", r.InstanceID, ok, want)
		}
	}
}
