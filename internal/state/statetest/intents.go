package statetest

import (
	"errors"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
	"github.com/reaper-bmc/reaper/internal/state"
)

func putIntents(t *testing.T, s state.Backend, ins ...state.Intent) {
	t.Helper()
	for _, in := range ins {
		if err := s.PutIntent(in); err != nil {
			t.Fatalf("PutIntent(%s/%s): %v", in.RunID, in.InstanceID, err)
		}
	}
}

// testIntentsOrderAndOutcome: intents come oldest first (run ID, then creation time); a completed
// one is no longer open.
func testIntentsOrderAndOutcome(t *testing.T, e *env) {
	s := e.store(Options{})
	older1 := state.Intent{RunID: "20261126T080000Z-aaaa", InstanceID: "z", CreatedAt: t0, Reasons: []string{"r1"}}
	older2 := state.Intent{RunID: "20261126T080000Z-aaaa", InstanceID: "a", CreatedAt: t0.Add(time.Second), Reasons: []string{"r2"}}
	same := state.Intent{RunID: "20261126T080000Z-aaaa", InstanceID: "b", CreatedAt: t0.Add(time.Second)}
	newer := state.Intent{RunID: "20261126T083000Z-bbbb", InstanceID: "m", CreatedAt: t0.Add(30 * time.Minute), Reasons: []string{}}
	putIntents(t, s, newer, same, older2, older1)
	checkEqual(t, "intents", must(s.Intents())(t), []state.Intent{older1, older2, same, newer})

	o := state.Outcome{Result: "terminated", RequestID: "req-1", At: t0.Add(2 * time.Second)}
	ok(t, s.CompleteIntent(older1.RunID, older1.InstanceID, o))
	checkEqual(t, "open intents", must(s.OpenIntents())(t), []state.Intent{older2, same, newer})
	done := older1
	done.Outcome = &o
	checkEqual(t, "intents", must(s.Intents())(t), []state.Intent{done, older2, same, newer})
}

// testIntentOutcomesAreNotOverwritten: an open intent can be replaced; an outcome is a fact.
func testIntentOutcomesAreNotOverwritten(t *testing.T, e *env) {
	s := e.store(Options{})
	in := state.Intent{RunID: "r1", InstanceID: "a", CreatedAt: t0, Reasons: []string{"old"}}
	putIntents(t, s, in)
	in.Reasons = []string{"replaced while open"}
	putIntents(t, s, in)
	o := state.Outcome{Result: "failed", Error: "boom", At: t0}
	ok(t, s.CompleteIntent("r1", "a", o))
	if err := s.CompleteIntent("r1", "a", state.Outcome{Result: "terminated"}); !errors.Is(err, state.ErrIntentCompleted) {
		t.Errorf("second CompleteIntent = %v, want ErrIntentCompleted", err)
	}
	if err := s.PutIntent(state.Intent{RunID: "r1", InstanceID: "a"}); !errors.Is(err, state.ErrIntentCompleted) {
		t.Errorf("PutIntent over a completed intent = %v, want ErrIntentCompleted", err)
	}
	in.Outcome = &o
	checkEqual(t, "intents", must(s.Intents())(t), []state.Intent{in})
}

func testCompleteIntentMissing(t *testing.T, e *env) {
	s := e.store(Options{})
	putIntents(t, s, state.Intent{RunID: "r1", InstanceID: "a", CreatedAt: t0})
	for _, k := range [][2]string{{"r1", "b"}, {"r2", "a"}} {
		if err := s.CompleteIntent(k[0], k[1], state.Outcome{Result: "terminated"}); !errors.Is(err, state.ErrNoIntent) {
			t.Errorf("CompleteIntent(%s, %s) = %v, want ErrNoIntent", k[0], k[1], err)
		}
	}
	if got := must(s.Intents())(t); len(got) != 1 || got[0].Outcome != nil {
		t.Errorf("intents = %+v, want the one open intent", got)
	}
}

func testPutIntentInvalidKey(t *testing.T, e *env) {
	s := e.store(Options{})
	for _, tt := range []struct {
		name  string
		in    state.Intent
		valid bool
	}{
		{"empty run", state.Intent{InstanceID: "a"}, false},
		{"empty instance", state.Intent{RunID: "r"}, false},
		{"slash in run", state.Intent{RunID: "r/x", InstanceID: "a"}, false},
		{"slash in instance", state.Intent{RunID: "r", InstanceID: "a/b"}, true},
	} {
		if err := s.PutIntent(tt.in); (err == nil) != tt.valid {
			t.Errorf("%s: PutIntent error = %v, want valid %v", tt.name, err, tt.valid)
		}
	}
	if got := len(must(s.Intents())(t)); got != 1 {
		t.Errorf("%d intents stored, want 1 (the valid one)", got)
	}
}

func testIntentTimesDefaultToNow(t *testing.T, e *env) {
	s := e.store(Options{Now: fixed(t0)})
	putIntents(t, s, state.Intent{RunID: "r", InstanceID: "a"})
	ok(t, s.CompleteIntent("r", "a", state.Outcome{Result: "terminated", RequestID: "req"}))
	want := []state.Intent{{RunID: "r", InstanceID: "a", CreatedAt: t0,
		Outcome: &state.Outcome{Result: "terminated", RequestID: "req", At: t0}}}
	checkEqual(t, "intents", must(s.Intents())(t), want)
}

// testPruneIntents: completed intents created before the cut go; open ones never.
func testPruneIntents(t *testing.T, e *env) {
	s := e.store(Options{})
	oldDone := state.Intent{RunID: "r1", InstanceID: "a", CreatedAt: t0}
	oldOpen := state.Intent{RunID: "r1", InstanceID: "b", CreatedAt: t0}
	newDone := state.Intent{RunID: "r2", InstanceID: "c", CreatedAt: t0.Add(48 * time.Hour)}
	putIntents(t, s, oldDone, oldOpen, newDone)
	for _, in := range []state.Intent{oldDone, newDone} {
		ok(t, s.CompleteIntent(in.RunID, in.InstanceID, state.Outcome{Result: "terminated", At: in.CreatedAt}))
	}
	if n := must(s.PruneIntents(t0.Add(24*time.Hour), 0))(t); n != 1 {
		t.Errorf("PruneIntents = %d, want 1", n)
	}
	checkEqual(t, "remaining intents", intentKeys(must(s.Intents())(t)), []string{"r1/b", "r2/c"})
}

func intentKeys(ins []state.Intent) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.RunID+"/"+in.InstanceID)
	}
	return out
}

// testPruneIntentsAfterClockJump: beyond the newest `keep` only, and newest is the run sequence:
// a clock a year ahead cannot delete the audit trail.
func testPruneIntentsAfterClockJump(t *testing.T, e *env) {
	clock := clocktest.New(t0)
	s := e.store(Options{Now: clock.Now})
	day := 24 * time.Hour
	run := func(id, instance string) {
		t.Helper()
		now := clock.Now()
		putIntents(t, s, state.Intent{RunID: id, InstanceID: instance, CreatedAt: now})
		ok(t, s.CompleteIntent(id, instance, state.Outcome{Result: "terminated", At: now}))
		must(s.PutRun(state.Run{ID: id, Command: "run", StartedAt: now, FinishedAt: now, Result: "ok"}))(t)
	}
	remaining := func() []string {
		t.Helper()
		var out []string
		for _, in := range must(s.Intents())(t) {
			out = append(out, in.InstanceID)
		}
		return out
	}
	clock.Set(t0.Add(1 * day))
	run("r1", "a")
	clock.Set(t0.Add(2 * day))
	run("r2", "b")
	clock.Set(t0.Add(400 * day))
	run("r9", "fast")
	must(s.PruneIntents(clock.Now().Add(-90*day), 2))(t)
	checkEqual(t, "intents after the fast run's prune", remaining(), []string{"b", "fast"})

	clock.Set(t0.Add(3 * day))
	must(s.AcceptClock(clock.Now()))(t)
	run("r3", "c")
	if n := must(s.PruneIntents(t0.Add(500*day), 2))(t); n != 1 {
		t.Errorf("PruneIntents = %d, want 1", n)
	}
	checkEqual(t, "intents after the clock came back", remaining(), []string{"c", "fast"})

	// Intents of runs not recorded yet are the newest of all; among them, key order decides.
	for _, k := range [][2]string{{"r4", "d"}, {"r4", "e"}} {
		putIntents(t, s, state.Intent{RunID: k[0], InstanceID: k[1], CreatedAt: clock.Now()})
		ok(t, s.CompleteIntent(k[0], k[1], state.Outcome{Result: "terminated", At: clock.Now()}))
	}
	must(s.PruneIntents(t0.Add(500*day), 1))(t)
	checkEqual(t, "intents with a run in progress", remaining(), []string{"d"})
}
