package statetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/state"
)

func testRefusals(t *testing.T, e *env) {
	s := e.store(Options{})
	c := state.Refusal{InstanceID: "a", Kind: state.RefusalCommitment, LearnedAt: t0, RequestID: "req-a"}
	p := state.Refusal{InstanceID: "b", Kind: state.RefusalSubscription, LearnedAt: t0, RequestID: "req-b"}
	ok(t, s.PutRefusal(c))
	ok(t, s.PutRefusal(p))
	checkEqual(t, "refusals", must(s.Refusals())(t), map[string]state.Refusal{"a": c, "b": p})
	c.LearnedAt, c.RequestID = t0.Add(168*time.Hour), "req-a2"
	ok(t, s.PutRefusal(c))
	ok(t, s.DeleteRefusal("b"))
	if err := s.DeleteRefusal("never-refused"); err != nil {
		t.Errorf("DeleteRefusal(unknown) = %v, want nil", err)
	}
	checkEqual(t, "refusals after replace and delete", must(s.Refusals())(t), map[string]state.Refusal{"a": c})
}

func testPutRefusalFillsLearnedAt(t *testing.T, e *env) {
	s := e.store(Options{Now: fixed(t0)})
	ok(t, s.PutRefusal(state.Refusal{InstanceID: "a", Kind: state.RefusalCommitment}))
	checkEqual(t, "refusals", must(s.Refusals())(t),
		map[string]state.Refusal{"a": {InstanceID: "a", Kind: state.RefusalCommitment, LearnedAt: t0}})
}

func testPutRefusalInvalid(t *testing.T, e *env) {
	s := e.store(Options{})
	for name, r := range map[string]state.Refusal{
		"empty id":     {Kind: state.RefusalCommitment},
		"unknown kind": {InstanceID: "a", Kind: "maintenance"},
		"no kind":      {InstanceID: "a"},
	} {
		if err := s.PutRefusal(r); err == nil {
			t.Errorf("%s: PutRefusal succeeded, want an error", name)
		}
	}
	checkEqual(t, "refusals", must(s.Refusals())(t), map[string]state.Refusal{})
}

func testUnconfirmed(t *testing.T, e *env) {
	s := e.store(Options{Now: fixed(t0)})
	a := state.Unconfirmed{InstanceID: "a", Attempts: 1, FirstAt: t0, LastAt: t0, RequestID: "req-a", Observed: "RUNNING"}
	ok(t, s.PutUnconfirmed(a))
	ok(t, s.PutUnconfirmed(state.Unconfirmed{InstanceID: "b", Attempts: 1}))
	b := state.Unconfirmed{InstanceID: "b", Attempts: 1, FirstAt: t0, LastAt: t0} // zero times from the clock
	checkEqual(t, "unconfirmed", must(s.Unconfirmed())(t), map[string]state.Unconfirmed{"a": a, "b": b})
	a.Attempts, a.LastAt, a.RequestID = 2, t0.Add(6*time.Hour), "req-a2"
	ok(t, s.PutUnconfirmed(a))
	ok(t, s.DeleteUnconfirmed("b"))
	if err := s.DeleteUnconfirmed("never"); err != nil {
		t.Errorf("DeleteUnconfirmed(unknown) = %v, want nil", err)
	}
	checkEqual(t, "unconfirmed after replace and delete", must(s.Unconfirmed())(t), map[string]state.Unconfirmed{"a": a})
}

func testPutUnconfirmedInvalid(t *testing.T, e *env) {
	s := e.store(Options{})
	for name, u := range map[string]state.Unconfirmed{"empty id": {Attempts: 1}, "no attempts": {InstanceID: "a"}} {
		if err := s.PutUnconfirmed(u); err == nil {
			t.Errorf("%s: PutUnconfirmed succeeded, want an error", name)
		}
	}
	checkEqual(t, "unconfirmed", must(s.Unconfirmed())(t), map[string]state.Unconfirmed{})
}

// testTraffic: records round-trip; Missing absent (nil) stays absent and zero stays zero.
func testTraffic(t *testing.T, e *env) {
	s := e.store(Options{})
	zero := 0
	a := state.TrafficRecord{InstanceID: "a", FetchedAt: t0, WindowStart: t0.Add(-72 * time.Hour), WindowEnd: t0,
		Samples: 288, Missing: &zero, Expected: 288, InP95: 1200, OutP95: 3400, InAvg: 800, OutAvg: 900}
	b := state.TrafficRecord{InstanceID: "b", FetchedAt: t0, Error: "throttled"}
	big := state.TrafficRecord{InstanceID: "big", FetchedAt: t0, InP95: 1 << 62, OutAvg: -1}
	ok(t, s.PutTraffic(b, a, big))
	for _, want := range []state.TrafficRecord{a, b, big} {
		got, found, err := s.Traffic(want.InstanceID)
		if err != nil || !found {
			t.Fatalf("Traffic(%s) = _, %v, %v; want found", want.InstanceID, found, err)
		}
		checkEqual(t, "traffic "+want.InstanceID, got, want)
	}
	if got, found, err := s.Traffic("c"); found || err != nil || !cmp.Equal(got, state.TrafficRecord{}) {
		t.Errorf("Traffic(c) = %+v, %v, %v; want zero, false, nil", got, found, err)
	}
}

func testPutTrafficDefaultsAndRollback(t *testing.T, e *env) {
	s := e.store(Options{Now: fixed(t0)})
	ok(t, s.PutTraffic(state.TrafficRecord{InstanceID: "a"}))
	if got, _, _ := s.Traffic("a"); !got.FetchedAt.Equal(t0) {
		t.Errorf("FetchedAt = %v, want %v", got.FetchedAt, t0)
	}
	if err := s.PutTraffic(state.TrafficRecord{InstanceID: "b"}, state.TrafficRecord{}); err == nil {
		t.Fatal("PutTraffic with an empty instance id succeeded, want an error")
	}
	if _, found, _ := s.Traffic("b"); found {
		t.Error("record b was stored by a failed PutTraffic, want the whole batch rolled back")
	}
	ok(t, s.PutTraffic()) // nothing to put is not an error
}

// testPutTrafficRepeatedID: of records with the same instance in one batch, the last wins.
func testPutTrafficRepeatedID(t *testing.T, e *env) {
	s := e.store(Options{})
	first := state.TrafficRecord{InstanceID: "a", FetchedAt: t0, Samples: 1}
	last := state.TrafficRecord{InstanceID: "a", FetchedAt: t0, Samples: 2}
	ok(t, s.PutTraffic(first, state.TrafficRecord{InstanceID: "b", FetchedAt: t0}, last))
	got, _, err := s.Traffic("a")
	ok(t, err)
	checkEqual(t, "traffic a", got, last)
}

func testPruneTraffic(t *testing.T, e *env) {
	s := e.store(Options{})
	var recs []state.TrafficRecord
	for i := range 10 {
		recs = append(recs, state.TrafficRecord{InstanceID: fmt.Sprint("i-", i), FetchedAt: t0})
	}
	ok(t, s.PutTraffic(recs...))
	keep := map[string]bool{"i-1": true, "i-7": true, "i-absent": true}
	ok(t, s.PruneTraffic(keep))
	for _, r := range recs {
		_, found, err := s.Traffic(r.InstanceID)
		ok(t, err)
		if found != keep[r.InstanceID] {
			t.Errorf("Traffic(%s) found = %v, want %v", r.InstanceID, found, keep[r.InstanceID])
		}
	}
	ok(t, s.PruneTraffic(nil))
	if _, found, _ := s.Traffic("i-1"); found {
		t.Error("PruneTraffic(nil) kept i-1, want every record gone")
	}
}

// testMeta: an empty value is a value, unlike an unset key.
func testMeta(t *testing.T, e *env) {
	s := e.store(Options{})
	if v, found, err := s.Meta("notify.candidate_digest"); v != "" || found || err != nil {
		t.Errorf("Meta(unset) = %q, %v, %v; want \"\", false, nil", v, found, err)
	}
	for _, v := range []string{"sha256:aa", "sha256:bb", ""} {
		ok(t, s.SetMeta("notify.candidate_digest", v))
		if got, found, err := s.Meta("notify.candidate_digest"); got != v || !found || err != nil {
			t.Errorf("Meta after SetMeta(%q) = %q, %v, %v; want %q, true, nil", v, got, found, err, v)
		}
	}
}

func testSetMetaReservedKeys(t *testing.T, e *env) {
	s := e.store(Options{})
	for _, k := range []string{"", "schema_version", "last_run_time"} {
		if err := s.SetMeta(k, "2"); err == nil {
			t.Errorf("SetMeta(%q) succeeded, want an error", k)
		}
	}
	if _, found, _ := s.LastRunTime(); found {
		t.Error("SetMeta of a reserved key set the clock baseline")
	}
}

// testClaimMeta: the first claim of a key wins and later ones see its value, across reopen; an
// already set key cannot be claimed; reserved keys are refused.
func testClaimMeta(t *testing.T, e *env) {
	s := e.store(Options{})
	if prior, claimed, err := s.ClaimMeta("plan_applied.r1", "a"); prior != "" || !claimed || err != nil {
		t.Fatalf("first ClaimMeta = %q, %v, %v; want \"\", true, nil", prior, claimed, err)
	}
	if prior, claimed, err := s.ClaimMeta("plan_applied.r1", "b"); prior != "a" || claimed || err != nil {
		t.Errorf("second ClaimMeta = %q, %v, %v; want \"a\", false, nil", prior, claimed, err)
	}
	ok(t, s.SetMeta("set", ""))
	if prior, claimed, err := s.ClaimMeta("set", "x"); prior != "" || claimed || err != nil {
		t.Errorf("ClaimMeta of a set key = %q, %v, %v; want \"\", false, nil", prior, claimed, err)
	}
	if _, claimed, err := s.ClaimMeta("schema_version", "9"); claimed || err == nil {
		t.Errorf("ClaimMeta(schema_version) = %v, %v; want refused", claimed, err)
	}
	closeStore(t, s)
	s = e.store(Options{})
	if v, found, err := s.Meta("plan_applied.r1"); v != "a" || !found || err != nil {
		t.Errorf("Meta after reopen = %q, %v, %v; want \"a\"", v, found, err)
	}
}
