package statetest

import (
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

func putRun(t *testing.T, s state.Backend, r state.Run) uint64 {
	t.Helper()
	return must(s.PutRun(r))(t)
}

// testRunsNewestFirst: newest (highest sequence) first, limited; a replaced run keeps its place.
func testRunsNewestFirst(t *testing.T, e *env) {
	s := e.store(Options{Node: "bastion-1"})
	mk := func(id string, size int) state.Run {
		return state.Run{ID: id, Command: "run", StartedAt: t0, FinishedAt: t0.Add(time.Minute), Result: "ok",
			InventoryComplete: true, InventorySize: size, Counts: map[string]int{"kept": size}, Node: "bastion-1"}
	}
	r1, r2, r3 := mk("20261126T080000Z-a", 1), mk("20261126T083000Z-b", 2), mk("20261126T090000Z-c", 3)
	for i, r := range []*state.Run{&r1, &r2, &r3} {
		r.Seq = putRun(t, s, *r)
		if want := uint64(i + 1); r.Seq != want {
			t.Errorf("PutRun(%s) = %d, want %d", r.ID, r.Seq, want)
		}
	}
	r2.Result, r2.Error = "failed", "inventory: page 2: timeout"
	putRun(t, s, r2)
	for _, tt := range []struct {
		limit int
		want  []state.Run
	}{
		{0, []state.Run{r3, r2, r1}},
		{-1, []state.Run{r3, r2, r1}},
		{2, []state.Run{r3, r2}},
		{1, []state.Run{r3}},
		{10, []state.Run{r3, r2, r1}},
	} {
		checkEqual(t, "runs", must(s.Runs(tt.limit))(t), tt.want)
	}
}

func testPutRunEmptyID(t *testing.T, e *env) {
	s := e.store(Options{})
	if _, err := s.PutRun(state.Run{Command: "run"}); err == nil {
		t.Error("PutRun without ID succeeded, want an error")
	}
}

// testPutRunNode: a run without a node gets the store's; one naming its node keeps it.
func testPutRunNode(t *testing.T, e *env) {
	s := e.store(Options{Node: "bastion-1"})
	putRun(t, s, state.Run{ID: "a"})
	putRun(t, s, state.Run{ID: "b", Node: "bastion-2"})
	got := must(s.Runs(0))(t)
	checkEqual(t, "nodes", []string{got[0].Node, got[1].Node}, []string{"bastion-2", "bastion-1"})
}

func testLastCompleteInventory(t *testing.T, e *env) {
	s := e.store(Options{})
	if size, found, err := s.LastCompleteInventory(); size != 0 || found || err != nil {
		t.Errorf("no runs: LastCompleteInventory() = %d, %v, %v; want 0, false, nil", size, found, err)
	}
	steps := []struct {
		run      state.Run
		wantSize int
		wantOK   bool
	}{
		{state.Run{ID: "1", InventorySize: 5}, 0, false},
		{state.Run{ID: "2", InventoryComplete: true, InventorySize: 5}, 5, true},
		{state.Run{ID: "3", InventoryComplete: true, InventorySize: 7}, 7, true},
		{state.Run{ID: "4", InventorySize: 1}, 7, true},
		{state.Run{ID: "5", Error: "aborted"}, 7, true},
		{state.Run{ID: "6", InventoryComplete: true}, 0, true}, // a complete, empty fleet
	}
	for _, st := range steps {
		putRun(t, s, st.run)
		size, found, err := s.LastCompleteInventory()
		if err != nil || size != st.wantSize || found != st.wantOK {
			t.Errorf("after run %s: LastCompleteInventory() = %d, %v, %v; want %d, %v, nil", st.run.ID, size, found, err, st.wantSize, st.wantOK)
		}
	}
}

// testRunsOrderedBySequenceNotTime: a run made with a fast clock does not stay the newest.
func testRunsOrderedBySequenceNotTime(t *testing.T, e *env) {
	s := e.store(Options{})
	runs := []state.Run{
		{ID: "20261126T080000Z-a", StartedAt: t0, InventoryComplete: true, InventorySize: 100},
		{ID: "20301126T080000Z-fast", StartedAt: t0.AddDate(4, 0, 0), InventoryComplete: true, InventorySize: 100},
		{ID: "20261126T083000Z-b", StartedAt: t0.Add(30 * time.Minute), InventoryComplete: true, InventorySize: 40},
		{ID: "20261126T090000Z-c", StartedAt: t0.Add(time.Hour), InventorySize: 3, Error: "aborted"},
	}
	for i := range runs {
		runs[i].Seq = putRun(t, s, runs[i])
	}
	checkEqual(t, "runs", must(s.Runs(0))(t), []state.Run{runs[3], runs[2], runs[1], runs[0]})
	if size, found, err := s.LastCompleteInventory(); err != nil || !found || size != 40 {
		t.Errorf("LastCompleteInventory() = %d, %v, %v; want 40, true, nil", size, found, err)
	}
}

func testPutRunKeepsSeqOnReplace(t *testing.T, e *env) {
	s := e.store(Options{})
	putRun(t, s, state.Run{ID: "a", Result: "running"})
	putRun(t, s, state.Run{ID: "b"})
	if seq := putRun(t, s, state.Run{ID: "a", Result: "ok", Seq: 99}); seq != 1 {
		t.Fatalf("PutRun(replace a) = %d, want 1", seq)
	}
	got := must(s.Runs(0))(t)
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "a" || got[1].Result != "ok" || got[1].Seq != 1 {
		t.Errorf("runs after replace = %+v, want b then a (ok, seq 1)", got)
	}
}

// testRunSeqMonotonicAcrossReopen: numbers continue after a reopen, past AdvanceRunSeq too.
func testRunSeqMonotonicAcrossReopen(t *testing.T, e *env) {
	s := e.store(Options{})
	putRun(t, s, state.Run{ID: "a"})
	putRun(t, s, state.Run{ID: "b"})
	ok(t, s.AdvanceRunSeq(10))
	closeStore(t, s)
	s = e.store(Options{})
	if seq := putRun(t, s, state.Run{ID: "c"}); seq != 11 {
		t.Errorf("PutRun after reopen = %d, want 11", seq)
	}
	closeStore(t, s)
	s = e.store(Options{})
	if seq := putRun(t, s, state.Run{ID: "a"}); seq != 1 {
		t.Errorf("PutRun(replace a) after reopen = %d, want 1", seq)
	}
	if seq := putRun(t, s, state.Run{ID: "d"}); seq != 12 {
		t.Errorf("PutRun after second reopen = %d, want 12", seq)
	}
}

// testLastRunTime: the latest time a run started or finished, never lowered but by AcceptClock.
func testLastRunTime(t *testing.T, e *env) {
	s := e.store(Options{})
	if _, found, err := s.LastRunTime(); found || err != nil {
		t.Errorf("LastRunTime on an empty store = _, %v, %v; want false, nil", found, err)
	}
	fast := t0.Add(48 * time.Hour)
	for _, st := range []struct {
		run  state.Run
		want time.Time
	}{
		{state.Run{ID: "1", StartedAt: t0, FinishedAt: t0.Add(time.Minute)}, t0.Add(time.Minute)},
		{state.Run{ID: "2", StartedAt: fast, FinishedAt: fast.Add(time.Minute)}, fast.Add(time.Minute)},
		{state.Run{ID: "3", StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(time.Hour)}, fast.Add(time.Minute)},
		{state.Run{ID: "4"}, fast.Add(time.Minute)},
	} {
		putRun(t, s, st.run)
		got, found, err := s.LastRunTime()
		if err != nil || !found || !got.Equal(st.want) {
			t.Errorf("after run %s: LastRunTime = %v, %v, %v; want %v", st.run.ID, got, found, err, st.want)
		}
	}
	prev, err := s.AcceptClock(t0.Add(2 * time.Hour))
	if err != nil || !prev.Equal(fast.Add(time.Minute)) {
		t.Errorf("AcceptClock = %v, %v; want previous %v", prev, err, fast.Add(time.Minute))
	}
	if got, _, _ := s.LastRunTime(); !got.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("LastRunTime after AcceptClock = %v, want %v", got, t0.Add(2*time.Hour))
	}
}

func testAcceptClockSurvivesReopen(t *testing.T, e *env) {
	s := e.store(Options{})
	putRun(t, s, state.Run{ID: "fast", StartedAt: t0.Add(48 * time.Hour)})
	must(s.AcceptClock(t0))(t)
	closeStore(t, s)
	s = e.store(Options{})
	if got, _, _ := s.LastRunTime(); !got.Equal(t0) {
		t.Errorf("LastRunTime after reopen = %v, want the accepted %v", got, t0)
	}
}

func testAdvanceRunSeq(t *testing.T, e *env) {
	s := e.store(Options{})
	ok(t, s.AdvanceRunSeq(41))
	if seq := putRun(t, s, state.Run{ID: "a"}); seq != 42 {
		t.Errorf("PutRun after AdvanceRunSeq(41) = %d, want 42", seq)
	}
	ok(t, s.AdvanceRunSeq(7)) // never backwards
	if seq := putRun(t, s, state.Run{ID: "b"}); seq != 43 {
		t.Errorf("PutRun after AdvanceRunSeq(7) = %d, want 43", seq)
	}
}
