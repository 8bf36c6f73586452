package migrate

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
)

// TestSavingsSurviveMigration: the cumulative realized savings of a bbolt store the previous
// version wrote (the ledger in metadata, the store opened read-only, so not moved yet) survive a
// migration to PostgreSQL and back, to the micro-unit, and an instance counted before a migration
// is never counted again after it.
func TestSavingsSurviveMigration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "old")
	old := openBolt(t, dir)
	for k, v := range map[string]string{
		"savings/index":              `[{"policy":"reaper.idle","month":202611,"amount":0}]`,
		"savings/202611/reaper.idle": `{"total":193.260001,"instances":["A","B"]}`,
		"savings/202612/reaper.tags": `{"total":7.5,"instances":["C"]}`,
		"pricing/bill/A":             `{"month":202610,"monthly":93.26,"fetched_at":"2026-11-05T00:00:00Z"}`,
	} {
		if err := old.SetMeta(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := state.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	pg, err := pgstate.Open(context.Background(), pgstate.Config{DSN: pgtest.Shared(t).NewDB(t), Schema: "reaper", Node: "bastion-2"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := Copy(pg, src); err != nil {
		t.Fatalf("Copy to postgres: %v", err)
	}
	want := []state.SavingsTotal{
		{Month: 202611, Policy: "reaper.idle", Amount: 193_260_001},
		{Month: 202612, Policy: "reaper.tags", Amount: 7_500_000},
	}
	checkTotals(t, "postgres", pg, want)
	amount := 10 * money.Unit
	for _, id := range []string{"A", "C"} {
		if added, err := pg.AddSaving(state.Saving{InstanceID: id, Policy: "reaper.idle", Month: 202612, Amount: &amount}); added || err != nil {
			t.Errorf("postgres AddSaving(%s) = %v, %v; want it counted already", id, added, err)
		}
	}
	if added, err := pg.AddSaving(state.Saving{InstanceID: "D", Policy: "reaper.tags", Month: 202612, Amount: &amount}); !added || err != nil {
		t.Fatalf("postgres AddSaving(D) = %v, %v; want it counted", added, err)
	}
	want[1].Amount += amount
	if ps, err := pg.Prices(); err != nil || len(ps) != 1 || ps[0].Key != "A" {
		t.Errorf("postgres prices = %+v, %v; want A's bill", ps, err)
	}

	back := openBolt(t, filepath.Join(t.TempDir(), "back"))
	if _, err := Copy(back, pg); err != nil {
		t.Fatalf("Copy back to bbolt: %v", err)
	}
	checkTotals(t, "bbolt after the round trip", back, want)
	if added, err := back.AddSaving(state.Saving{InstanceID: "D", Policy: "reaper.tags", Month: 202612, Amount: &amount}); added || err != nil {
		t.Errorf("bbolt AddSaving(D) = %v, %v; want it counted already", added, err)
	}
}

func checkTotals(t *testing.T, what string, s state.Backend, want []state.SavingsTotal) {
	t.Helper()
	got, err := s.SavingsTotals()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: savings totals (-want +got):\n%s", what, diff)
	}
}
