package migrate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func openBolt(t *testing.T, dir string) *state.Store {
	t.Helper()
	s, err := state.Open(dir, state.WithNode("bastion-1"), state.WithNow(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// populate writes a store as a few cycles would leave it.
func populate(t *testing.T, s state.Backend) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	zone := time.FixedZone("HKT", 8*3600)
	must(s.AdvanceRunSeq(10))
	for i, id := range []string{"20261126T080000Z-aaaa", "20261126T083000Z-bbbb", "20261126T090000Z-cccc"} {
		at := t0.Add(time.Duration(i) * 30 * time.Minute)
		if _, err := s.PutRun(state.Run{ID: id, Command: "run", StartedAt: at, FinishedAt: at.Add(time.Minute), Result: "ok",
			InventoryComplete: true, InventorySize: 40 + i, Counts: map[string]int{"kept": 40, "terminated": i}}); err != nil {
			t.Fatal(err)
		}
		must(s.PutIntent(state.Intent{RunID: id, InstanceID: "i-" + id[len(id)-4:], CreatedAt: at, Reasons: []string{"reaper.idle: idle 72h"}}))
		if i < 2 {
			must(s.CompleteIntent(id, "i-"+id[len(id)-4:], state.Outcome{Result: "terminated", RequestID: "req-" + id, At: at.Add(time.Second)}))
		}
	}
	must(s.ReplaceMarks(map[state.MarkKey]state.Mark{
		{InstanceID: "i-1", Policy: "reaper.idle"}:   {InstanceID: "i-1", Policy: "reaper.idle", FirstSeen: t0.In(zone).Add(123 * time.Nanosecond), Reasons: []string{"idle"}},
		{InstanceID: "i-1", Policy: "reaper.expiry"}: {InstanceID: "i-1", Policy: "reaper.expiry", FirstSeen: t0, Reasons: []string{}},
		{InstanceID: "i-2", Policy: "reaper.tags"}:   {InstanceID: "i-2", Policy: "reaper.tags", FirstSeen: t0},
	}))
	must(s.PutRefusal(state.Refusal{InstanceID: "i-3", Kind: state.RefusalCommitment, LearnedAt: t0, RequestID: "req-3"}))
	must(s.PutRefusal(state.Refusal{InstanceID: "i-4", Kind: state.RefusalSubscription, LearnedAt: t0}))
	must(s.PutUnconfirmed(state.Unconfirmed{InstanceID: "i-5", Attempts: 3, FirstAt: t0, LastAt: t0.Add(12 * time.Hour), Observed: "RUNNING"}))
	missing := 2
	must(s.PutTraffic(state.TrafficRecord{InstanceID: "i-1", FetchedAt: t0, WindowStart: t0.Add(-72 * time.Hour), WindowEnd: t0,
		Samples: 286, Missing: &missing, Expected: 288, InP95: 1200, OutP95: 3400, InAvg: 800, OutAvg: 900},
		state.TrafficRecord{InstanceID: "i-2", FetchedAt: t0, Error: "throttled"}))
	must(s.SetMeta("notify.candidate_digest", "sha256:abcd"))
	if _, err := s.AcceptClock(t0.Add(3 * time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// TestRoundTripThroughPostgres: a populated bbolt store, migrated to PostgreSQL and back to a
// fresh bbolt store, holds exactly what it held; and the PostgreSQL store continues the run
// sequence.
func TestRoundTripThroughPostgres(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	src := openBolt(t, filepath.Join(t.TempDir(), "src"))
	populate(t, src)
	want, err := src.Export()
	if err != nil {
		t.Fatal(err)
	}

	pg, err := pgstate.Open(context.Background(), pgstate.Config{DSN: dsn, Schema: "reaper", Node: "bastion-2"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	res, err := Copy(pg, src)
	if err != nil {
		t.Fatalf("Copy to postgres: %v", err)
	}
	if got := state.FormatCounts(res.Counts); got != "marks 3, refusals 2, unconfirmed 1, intents 3, runs 3, traffic 2, prices 0, savings 0, savings_totals 0, meta 1" {
		t.Errorf("counts = %s", got)
	}
	if res.RunSeq != 13 || !res.LastRunTime {
		t.Errorf("result = %+v, want run sequence 13 and a clock baseline", res)
	}

	back := openBolt(t, filepath.Join(t.TempDir(), "back"))
	if _, err := Copy(back, pg); err != nil {
		t.Fatalf("Copy back to bbolt: %v", err)
	}
	got, err := back.Export()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state after the round trip (-want +got):\n%s", diff)
	}

	// Copying again into a store that holds the copy is refused, and changes nothing.
	_, err = Copy(pg, src)
	var ne *state.NotEmptyError
	if !errors.As(err, &ne) {
		t.Errorf("second Copy = %v, want a *state.NotEmptyError", err)
	}
	if seq, err := pg.PutRun(state.Run{ID: "20261126T093000Z-dddd"}); err != nil || seq != 14 {
		t.Errorf("next run on postgres = %d, %v; want 14", seq, err)
	}
}

// TestCopyBboltToBbolt: the copy works between any two backends, and refuses a non-empty target.
func TestCopyBboltToBbolt(t *testing.T) {
	src := openBolt(t, filepath.Join(t.TempDir(), "src"))
	populate(t, src)
	dst := openBolt(t, filepath.Join(t.TempDir(), "dst"))
	if err := dst.SetMeta("x", "y"); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(dst, src); !errors.As(err, new(*state.NotEmptyError)) {
		t.Fatalf("Copy into a non-empty store = %v, want a *state.NotEmptyError", err)
	}
	empty := openBolt(t, filepath.Join(t.TempDir(), "empty"))
	if _, err := Copy(empty, src); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyReportsEveryDifference(t *testing.T) {
	want := &state.Snapshot{RunSeq: 3, Runs: []state.Run{{ID: "a", Seq: 3}}, Meta: map[string]string{"k": "v"}}
	got := &state.Snapshot{RunSeq: 2, Runs: []state.Run{{ID: "a", Seq: 2}}}
	err := verify(want, got)
	if err == nil {
		t.Fatal("verify found no difference")
	}
	wantMsg := "meta: copied 1, the target holds 0\nrun sequence: copied 3, the target has 2\nruns: the target's runs or their sequence numbers differ"
	if err.Error() != wantMsg {
		t.Errorf("verify = %q, want %q", err, wantMsg)
	}
}
