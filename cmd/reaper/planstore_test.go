package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
)

// TestPlanStoreChangesNothingTheLeaderKeeps drives every write a cycle can make through a
// planStore and checks the store underneath: only the run and the traffic cache changed.
func TestPlanStoreChangesNothingTheLeaderKeeps(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	st, err := state.Open(t.TempDir(), state.WithNow(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mark := state.Mark{InstanceID: "1", Policy: "reaper.idle", FirstSeen: now.Add(-time.Hour), Reasons: []string{"idle"}}
	must(t, st.ReplaceMarks(map[state.MarkKey]state.Mark{mark.Key(): mark}))
	must(t, st.PutRefusal(state.Refusal{InstanceID: "2", Kind: state.RefusalCommitment, LearnedAt: now}))
	must(t, st.PutUnconfirmed(state.Unconfirmed{InstanceID: "3", Attempts: 1, FirstAt: now, LastAt: now}))
	must(t, st.PutIntent(state.Intent{RunID: "r0", InstanceID: "4", CreatedAt: now}))
	must(t, st.PutTraffic(state.TrafficRecord{InstanceID: "5", FetchedAt: now, WindowStart: now.Add(-time.Hour), WindowEnd: now}))
	before := snapshot(t, st)

	p := planStore{st}
	must(t, p.ReplaceMarks(nil))
	must(t, p.PutRefusal(state.Refusal{InstanceID: "6", Kind: state.RefusalSubscription, LearnedAt: now}))
	must(t, p.DeleteRefusal("2"))
	must(t, p.PutUnconfirmed(state.Unconfirmed{InstanceID: "7", Attempts: 1, FirstAt: now, LastAt: now}))
	must(t, p.DeleteUnconfirmed("3"))
	must(t, p.CompleteIntent("r0", "4", state.Outcome{Result: "gone", At: now}))
	must(t, p.PruneTraffic(map[string]bool{}))
	if _, err := p.PruneIntents(now.Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.PutIntent(state.Intent{RunID: "r1", InstanceID: "8", CreatedAt: now}); err == nil {
		t.Error("PutIntent through a planStore succeeded; a plan never acts")
	}
	if _, err := p.AcceptClock(now); err == nil {
		t.Error("AcceptClock through a planStore succeeded")
	}
	if diff := cmp.Diff(before, snapshot(t, st)); diff != "" {
		t.Errorf("the leader's state changed through a planStore (-before +after):\n%s", diff)
	}

	if _, err := p.PutRun(state.Run{ID: "plan-1", Command: "plan", StartedAt: now, FinishedAt: now}); err != nil {
		t.Fatal(err)
	}
	must(t, p.PutTraffic(state.TrafficRecord{InstanceID: "9", FetchedAt: now, WindowStart: now.Add(-time.Hour), WindowEnd: now}))
	if runs, err := st.Runs(0); err != nil || len(runs) != 1 || runs[0].ID != "plan-1" {
		t.Errorf("runs after the plan = %+v, %v; want the plan's run recorded", runs, err)
	}
	if _, ok, err := st.Traffic("9"); err != nil || !ok {
		t.Errorf("traffic fetched by the plan not cached: %v %v", ok, err)
	}
}

type leaderState struct {
	Marks       map[state.MarkKey]state.Mark
	Refusals    map[string]state.Refusal
	Unconfirmed map[string]state.Unconfirmed
	Intents     []state.Intent
	Traffic5    bool
}

func snapshot(t *testing.T, st *state.Store) leaderState {
	t.Helper()
	var s leaderState
	var err error
	if s.Marks, err = st.Marks(); err != nil {
		t.Fatal(err)
	}
	if s.Refusals, err = st.Refusals(); err != nil {
		t.Fatal(err)
	}
	if s.Unconfirmed, err = st.Unconfirmed(); err != nil {
		t.Fatal(err)
	}
	if s.Intents, err = st.Intents(); err != nil {
		t.Fatal(err)
	}
	if _, s.Traffic5, err = st.Traffic("5"); err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlanOnSharedStateMovesNoClockAndNoMemory: a plan on another bastion, whose clock is an hour
// ahead, records its run but does not raise the shared clock baseline (the leader's next cycle
// would be blocked as "clock behind the last run" until accept-clock), and leaves the
// notification memory (the operator channel's candidate digest) alone.
func TestPlanOnSharedStateMovesNoClockAndNoMemory(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	st := openShared(t, dsn, "shared")
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	if _, err := st.PutRun(state.Run{ID: "leader-1", Command: "run", StartedAt: now, FinishedAt: now}); err != nil {
		t.Fatal(err)
	}
	must(t, st.SetMeta("notify.candidate_digest", "leader's"))

	p := planStore{st}
	ahead := now.Add(time.Hour)
	if _, err := p.PutRun(state.Run{ID: "plan-1", Command: "plan", StartedAt: ahead, FinishedAt: ahead}); err != nil {
		t.Fatal(err)
	}
	if runs, err := st.Runs(0); err != nil || len(runs) != 2 || runs[0].ID != "plan-1" {
		t.Errorf("runs after the plan = %+v, %v; want the plan's run recorded after the leader's", runs, err)
	}
	if got, ok, err := st.LastRunTime(); err != nil || !ok || !got.Equal(now) {
		t.Errorf("clock baseline after a plan from a clock ahead = %v (%v, %v), want the leader's %v", got, ok, err, now)
	}
	must(t, p.SetMeta("notify.candidate_digest", "plan's"))
	if v, _, err := st.Meta("notify.candidate_digest"); err != nil || v != "leader's" {
		t.Errorf("candidate digest after a plan = %q (%v), want the leader's", v, err)
	}
}
