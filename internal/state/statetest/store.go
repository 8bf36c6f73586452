package statetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// testEmptyStore: what a fresh store answers; absent is not zero.
func testEmptyStore(t *testing.T, e *env) {
	s := e.store(Options{})
	checkEqual(t, "marks", must(s.Marks())(t), map[state.MarkKey]state.Mark{})
	checkEqual(t, "refusals", must(s.Refusals())(t), map[string]state.Refusal{})
	checkEqual(t, "unconfirmed", must(s.Unconfirmed())(t), map[string]state.Unconfirmed{})
	checkEqual(t, "intents", must(s.Intents())(t), []state.Intent(nil))
	checkEqual(t, "open intents", must(s.OpenIntents())(t), []state.Intent(nil))
	checkEqual(t, "runs", must(s.Runs(0))(t), []state.Run(nil))
	if n := must(s.PruneIntents(t0, 0))(t); n != 0 {
		t.Errorf("PruneIntents on an empty store = %d, want 0", n)
	}
	snap := must(s.Export())(t)
	if !snap.Empty() {
		t.Errorf("Export of a fresh store is not empty: %s", state.FormatCounts(snap.Counts()))
	}
	prev, err := s.AcceptClock(t0)
	if err != nil || !prev.IsZero() {
		t.Errorf("AcceptClock on a fresh store = %v, %v; want zero, nil", prev, err)
	}
	if got, found, err := s.LastRunTime(); !found || err != nil || !got.Equal(t0) {
		t.Errorf("LastRunTime after AcceptClock = %v, %v, %v; want %v", got, found, err, t0)
	}
}

// fill writes one of everything and returns what Export should then read.
func fill(t *testing.T, s state.Backend) *state.Snapshot {
	t.Helper()
	zero := 0
	mark := state.Mark{InstanceID: "i-1", Policy: "reaper.idle", FirstSeen: t0, Reasons: []string{"r"}}
	mark2 := state.Mark{InstanceID: "i-1", Policy: "reaper.expiry", FirstSeen: t0.Add(time.Nanosecond), Reasons: nil}
	ref := state.Refusal{InstanceID: "i-2", Kind: state.RefusalCommitment, LearnedAt: t0, RequestID: "req-1"}
	unc := state.Unconfirmed{InstanceID: "i-5", Attempts: 2, FirstAt: t0, LastAt: t0.Add(time.Hour), RequestID: "req-5", Observed: "RUNNING"}
	open := state.Intent{RunID: "20261126T083000Z-b", InstanceID: "i-3", CreatedAt: t0, Reasons: []string{"r"}}
	done := state.Intent{RunID: "20261126T080000Z-a", InstanceID: "i-6", CreatedAt: t0, Reasons: []string{}}
	outcome := state.Outcome{Result: "terminated", RequestID: "req-6", At: t0.Add(time.Second)}
	runA := state.Run{ID: "20261126T080000Z-a", Node: "n1", Command: "run", StartedAt: t0, FinishedAt: t0.Add(time.Minute),
		Result: "ok", InventoryComplete: true, InventorySize: 42, Counts: map[string]int{"terminated": 1}}
	runB := state.Run{ID: "20261126T083000Z-b", Node: "n2", Command: "plan", DryRun: true, StartedAt: t0.Add(30 * time.Minute),
		Result: "aborted", Error: "boom", Blocked: "fleet_drop"}
	tr := state.TrafficRecord{InstanceID: "i-4", FetchedAt: t0, Samples: 3, Missing: &zero, Expected: 3, InP95: 7}
	tr2 := state.TrafficRecord{InstanceID: "i-7", FetchedAt: t0, Error: "throttled"}
	ok(t, s.ReplaceMarks(map[state.MarkKey]state.Mark{mark.Key(): mark, mark2.Key(): mark2}))
	ok(t, s.PutRefusal(ref))
	ok(t, s.PutUnconfirmed(unc))
	putIntents(t, s, open, done)
	ok(t, s.CompleteIntent(done.RunID, done.InstanceID, outcome))
	ok(t, s.AdvanceRunSeq(4))
	runA.Seq = putRun(t, s, runA)
	runB.Seq = putRun(t, s, runB)
	ok(t, s.PutTraffic(tr, tr2))
	ok(t, s.SetMeta("notify.candidate_digest", "sha256:ab"))
	ok(t, s.SetMeta("empty", ""))
	must(s.AcceptClock(t0.Add(2 * time.Hour)))(t)
	done.Outcome = &outcome
	return &state.Snapshot{
		Marks:       map[state.MarkKey]state.Mark{mark.Key(): mark, mark2.Key(): mark2},
		Refusals:    map[string]state.Refusal{ref.InstanceID: ref},
		Unconfirmed: map[string]state.Unconfirmed{unc.InstanceID: unc},
		Intents:     []state.Intent{done, open},
		Runs:        []state.Run{runB, runA},
		RunSeq:      6,
		LastRunTime: t0.Add(2 * time.Hour),
		Traffic:     map[string]state.TrafficRecord{tr.InstanceID: tr, tr2.InstanceID: tr2},
		Meta:        map[string]string{"notify.candidate_digest": "sha256:ab", "empty": ""},
	}
}

// testDurableAcrossReopen: everything written is there after a reopen.
func testDurableAcrossReopen(t *testing.T, e *env) {
	s := e.store(Options{})
	want := fill(t, s)
	closeStore(t, s)
	s = e.store(Options{})
	checkEqual(t, "snapshot after reopen", must(s.Export())(t), want)
	checkEqual(t, "marks", must(s.Marks())(t), want.Marks)
	checkEqual(t, "open intents", must(s.OpenIntents())(t), want.Intents[1:])
	checkEqual(t, "runs", must(s.Runs(0))(t), want.Runs)
	if size, found, _ := s.LastCompleteInventory(); size != 42 || !found {
		t.Errorf("LastCompleteInventory after reopen = %d, %v; want 42, true", size, found)
	}
}

// testTimesRoundTrip: the same instant and offset come back, to the nanosecond, without the
// monotonic clock reading.
func testTimesRoundTrip(t *testing.T, e *env) {
	s := e.store(Options{})
	zone := time.FixedZone("IST", 5*3600+30*60)
	for i, at := range []time.Time{
		time.Now(), // carries a monotonic reading
		time.Date(2026, 11, 26, 13, 30, 0, 123456789, zone),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		id := fmt.Sprint("i-", i)
		ok(t, s.PutRefusal(state.Refusal{InstanceID: id, Kind: state.RefusalCommitment, LearnedAt: at}))
		got := must(s.Refusals())(t)[id].LearnedAt
		_, wantOff := at.Zone()
		_, gotOff := got.Zone()
		if !got.Equal(at) || gotOff != wantOff || strings.Contains(got.String(), "m=") || got.Nanosecond() != at.Nanosecond() {
			t.Errorf("time %d: wrote %v, read %v; want the same instant, offset and nanoseconds, no monotonic reading", i, at, got)
		}
	}
}

// testExportImport: Import into an empty store of the same backend brings back exactly what
// Export read, and the copy numbers its next run after the original's sequence.
func testExportImport(t *testing.T, e *env) {
	src := e.store(Options{})
	want := fill(t, src)
	snap := must(src.Export())(t)
	checkEqual(t, "export", snap, want)
	dst := e.other(Options{Node: "n3"})
	ok(t, dst.Import(snap))
	checkEqual(t, "export of the import", must(dst.Export())(t), want)
	if seq := putRun(t, dst, state.Run{ID: "next"}); seq != 7 {
		t.Errorf("PutRun after import = %d, want 7", seq)
	}
	checkEqual(t, "open intents of the import", must(dst.OpenIntents())(t), want.Intents[1:])
	if size, found, _ := dst.LastCompleteInventory(); size != 42 || !found {
		t.Errorf("LastCompleteInventory of the import = %d, %v; want 42, true", size, found)
	}
}

// testImportRefusesNonEmpty: a store with anything in it, even just a run sequence or a clock
// baseline, is refused and left as it was.
func testImportRefusesNonEmpty(t *testing.T, e *env) {
	snap := &state.Snapshot{Meta: map[string]string{"k": "v"}}
	for name, prepare := range map[string]func(state.Backend) error{
		"a mark":           func(s state.Backend) error { return s.ReplaceMarks(markSet(state.Mark{InstanceID: "a", Policy: "p"})) },
		"an intent":        func(s state.Backend) error { return s.PutIntent(state.Intent{RunID: "r", InstanceID: "a"}) },
		"a run":            func(s state.Backend) error { _, err := s.PutRun(state.Run{ID: "r"}); return err },
		"a run sequence":   func(s state.Backend) error { return s.AdvanceRunSeq(3) },
		"a clock baseline": func(s state.Backend) error { _, err := s.AcceptClock(t0); return err },
		"meta":             func(s state.Backend) error { return s.SetMeta("x", "") },
		"traffic":          func(s state.Backend) error { return s.PutTraffic(state.TrafficRecord{InstanceID: "a"}) },
		"a refusal": func(s state.Backend) error {
			return s.PutRefusal(state.Refusal{InstanceID: "a", Kind: state.RefusalSubscription})
		},
		"an unconfirmed": func(s state.Backend) error { return s.PutUnconfirmed(state.Unconfirmed{InstanceID: "a", Attempts: 1}) },
	} {
		s := e.other(Options{})
		ok(t, prepare(s))
		before := must(s.Export())(t)
		err := s.Import(snap)
		var ne *state.NotEmptyError
		if !errors.As(err, &ne) {
			t.Errorf("%s: Import = %v, want a *NotEmptyError", name, err)
		}
		checkEqual(t, name+": store after the refused import", must(s.Export())(t), before)
	}
}

// testImportRefusesInvalid: a snapshot the store could not hold faithfully is refused whole.
func testImportRefusesInvalid(t *testing.T, e *env) {
	s := e.store(Options{})
	for name, snap := range map[string]*state.Snapshot{
		"run without seq":      {RunSeq: 5, Runs: []state.Run{{ID: "a"}}},
		"run past sequence":    {RunSeq: 1, Runs: []state.Run{{ID: "a", Seq: 2}}},
		"same seq twice":       {RunSeq: 5, Runs: []state.Run{{ID: "a", Seq: 2}, {ID: "b", Seq: 2}}},
		"intent without run":   {Intents: []state.Intent{{InstanceID: "a"}}},
		"mark under wrong key": {Marks: map[state.MarkKey]state.Mark{key("a", "p"): {InstanceID: "b", Policy: "p"}}},
		"reserved meta":        {Meta: map[string]string{"schema_version": "9"}},
		"valid then invalid": {Meta: map[string]string{"k": "v"}, RunSeq: 1,
			Runs: []state.Run{{ID: "a", Seq: 1}, {ID: "", Seq: 1}}},
	} {
		if err := s.Import(snap); err == nil {
			t.Errorf("%s: Import succeeded, want an error", name)
		}
		if snap := must(s.Export())(t); !snap.Empty() {
			t.Fatalf("%s: the refused import wrote %s", name, state.FormatCounts(snap.Counts()))
		}
	}
}

func testConcurrent(t *testing.T, e *env) {
	const writers, perWriter, readers = 4, 10, 4
	s := e.store(Options{})
	errs := make(chan error, writers*perWriter*4+readers*perWriter*4)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				id := fmt.Sprintf("i-%d-%d", w, i)
				run := fmt.Sprintf("run-%d", w)
				errs <- s.PutIntent(state.Intent{RunID: run, InstanceID: id, CreatedAt: t0})
				errs <- s.PutTraffic(state.TrafficRecord{InstanceID: id, FetchedAt: t0, Samples: i})
				errs <- s.CompleteIntent(run, id, state.Outcome{Result: "terminated", At: t0})
				_, err := s.PutRun(state.Run{ID: id})
				errs <- err
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for range perWriter {
				_, err := s.Intents()
				errs <- err
				_, err = s.OpenIntents()
				errs <- err
				_, _, err = s.Traffic("i-0-0")
				errs <- err
				_, err = s.Runs(5)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	if got, want := len(must(s.Intents())(t)), writers*perWriter; got != want {
		t.Errorf("intents = %d, want %d", got, want)
	}
	if got := must(s.OpenIntents())(t); len(got) != 0 {
		t.Errorf("open intents = %d, want 0", len(got))
	}
	seen := map[uint64]bool{}
	for _, r := range must(s.Runs(0))(t) {
		if seen[r.Seq] || r.Seq == 0 || r.Seq > writers*perWriter {
			t.Errorf("run %s has sequence number %d: repeated or out of range", r.ID, r.Seq)
		}
		seen[r.Seq] = true
	}
}
