package pgstate

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/state"
)

// TestAddSavingIsOneTransaction: a failure between remembering the instance and adding its amount
// to the total (here a trigger that fails the total's write, as a crash would cut it) leaves
// neither: the next add counts the instance, once.
func TestAddSavingIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	conn, err := pgx.Connect(ctx, testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`CREATE FUNCTION ` + s.schema + `.fail_total() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'cut'; END $$`,
		`CREATE TRIGGER cut BEFORE INSERT OR UPDATE ON ` + s.schema + `.savings_totals FOR EACH ROW EXECUTE FUNCTION ` + s.schema + `.fail_total()`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	amount := 42 * money.Unit
	sv := state.Saving{InstanceID: "i-1", Policy: "reaper.idle", Month: 202611, Amount: &amount}
	if added, err := s.AddSaving(sv); err == nil || added {
		t.Fatalf("AddSaving with the total's write cut = %v, %v; want an error", added, err)
	}
	if snap, err := s.Export(); err != nil || len(snap.Money.Savings) != 0 {
		t.Fatalf("after the cut write: savings %v, %v; want none remembered", snap.Money.Savings, err)
	}
	if _, err := conn.Exec(ctx, `DROP TRIGGER cut ON `+s.schema+`.savings_totals`); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if added, err := s.AddSaving(sv); err != nil || added != want {
			t.Errorf("AddSaving %d = %v, %v; want %v", i+1, added, err, want)
		}
	}
	totals, err := s.SavingsTotals()
	if err != nil || len(totals) != 1 || totals[0].Amount != amount {
		t.Errorf("totals = %+v, %v; want 42 once", totals, err)
	}
}

// TestLegacyMoneyMovedOnceOnUpgrade: a schema the previous version wrote (no money tables, the
// ledger in meta), opened by three reapers at once, gets the tables and the ledger moved once:
// the totals are the old ones, not two or three times them.
func TestLegacyMoneyMovedOnceOnUpgrade(t *testing.T) {
	ctx := context.Background()
	dsn, schema := previousSchema(t, `
		DROP TABLE prices, savings, savings_totals;
		DELETE FROM schema_migrations WHERE version = 4;
		INSERT INTO meta (key, value) VALUES
			('savings/index', '[{"policy":"reaper.idle","month":202611,"amount":0}]'),
			('savings/202611/reaper.idle', '{"total":193.260001,"instances":["A","B"]}'),
			('pricing/bill/A', '{"month":202610,"monthly":93.26,"fetched_at":"2026-11-05T00:00:00Z"}'),
			('notify.candidate_digest', 'sha256:ab')`)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(ctx, Config{DSN: dsn, Schema: schema})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s, err := Open(ctx, Config{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	totals, err := s.SavingsTotals()
	if err != nil || len(totals) != 1 || totals[0].Amount != 193_260_001 {
		t.Errorf("totals = %+v, %v; want 193.260001 once", totals, err)
	}
	snap, err := s.Export()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Money.Savings) != 2 || len(snap.Money.Prices) != 1 || len(snap.Meta) != 1 || snap.Meta["notify.candidate_digest"] != "sha256:ab" {
		t.Errorf("after the move: %s, meta %v; want 2 savings, 1 price and only the notifier's key left", state.FormatCounts(snap.Counts()), snap.Meta)
	}
}
