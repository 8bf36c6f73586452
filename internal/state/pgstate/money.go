package pgstate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/state"
)

// Prices returns every cached price, sorted by key.
func (s *Store) Prices() (out []state.Price, err error) {
	err = s.read("read prices", func(ctx context.Context, tx pgx.Tx) error {
		out, err = readPrices(ctx, tx)
		return err
	})
	return out, err
}

func readPrices(ctx context.Context, tx pgx.Tx) ([]state.Price, error) {
	var out []state.Price
	err := collect(ctx, tx, "SELECT kind || '/' || month || '/' || key, doc FROM prices", func(k string, data []byte) error {
		var p state.Price
		if err := decode("price "+k, data, &p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	state.SortPrices(out)
	return out, err
}

// PutPrices creates or replaces the cached prices, all in one transaction (see
// state.PreparePrice); of prices with the same key, the last one given wins.
func (s *Store) PutPrices(ps ...state.Price) error {
	now := s.now()
	rows := map[state.PriceKey][]any{}
	for _, p := range ps {
		p, err := state.PreparePrice(p, now)
		if err != nil {
			return fmt.Errorf("put prices: %w", err)
		}
		d, err := doc(p)
		if err != nil {
			return fmt.Errorf("put prices: %w", err)
		}
		rows[p.ID()] = []any{string(p.Kind), p.Month, p.Key, string(d)}
	}
	return s.write("put prices", func(ctx context.Context, tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, k := range slices.SortedFunc(maps.Keys(rows), comparePriceKeys) {
			b.Queue("INSERT INTO prices (kind, month, key, doc) VALUES ($1, $2, $3, $4) "+
				"ON CONFLICT (kind, month, key) DO UPDATE SET doc = EXCLUDED.doc", rows[k]...)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

func comparePriceKeys(a, b state.PriceKey) int { return strings.Compare(a.String(), b.String()) }

// PrunePrices deletes the cached prices state.StalePrice says are stale at now for month.
func (s *Store) PrunePrices(now time.Time, month int) (n int, err error) {
	err = s.write("prune prices", func(ctx context.Context, tx pgx.Tx) error {
		// No price is put between the read and the delete (it would be deleted as it was read).
		if _, err := tx.Exec(ctx, "LOCK TABLE prices IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		ps, err := readPrices(ctx, tx)
		if err != nil {
			return err
		}
		var kinds, keys []string
		var months []int32
		for _, p := range ps {
			if state.StalePrice(p, now, month) {
				kinds, months, keys = append(kinds, string(p.Kind)), append(months, int32(p.Month)), append(keys, p.Key)
			}
		}
		tag, err := tx.Exec(ctx, "DELETE FROM prices WHERE (kind, month, key) IN "+
			"(SELECT * FROM unnest($1::text[], $2::integer[], $3::text[]))", kinds, months, keys)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}

// AddSaving counts a confirmed termination in the savings ledger, in one transaction; an
// instance counted before changes nothing and added is false (see state.Store.AddSaving).
// Of two reapers adding one instance at once, exactly one counts it.
func (s *Store) AddSaving(sv state.Saving) (added bool, err error) {
	sv, err = state.PrepareSaving(sv, s.now())
	if err != nil {
		return false, fmt.Errorf("add saving: %w", err)
	}
	d, err := doc(sv)
	if err != nil {
		return false, fmt.Errorf("add saving: %w", err)
	}
	err = s.write("add saving "+sv.InstanceID, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO savings (instance_id, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING", sv.InstanceID, string(d))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		added = true
		_, err = tx.Exec(ctx, addTotalSQL, sv.Month, sv.Policy, int64(*sv.Amount))
		return err
	})
	if err != nil {
		return false, err // rolled back: nothing was counted
	}
	return added, nil
}

const addTotalSQL = "INSERT INTO savings_totals (month, policy, amount) VALUES ($1, $2, $3) " +
	"ON CONFLICT (month, policy) DO UPDATE SET amount = savings_totals.amount + EXCLUDED.amount"

// SavingsTotals returns the realized savings per month and policy, by month, then policy.
func (s *Store) SavingsTotals() (out []state.SavingsTotal, err error) {
	err = s.read("read savings totals", func(ctx context.Context, tx pgx.Tx) error {
		out, err = readTotals(ctx, tx)
		return err
	})
	return out, err
}

func readTotals(ctx context.Context, tx pgx.Tx) ([]state.SavingsTotal, error) {
	rows, err := tx.Query(ctx, "SELECT month, policy, amount FROM savings_totals")
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.SavingsTotal, error) {
		var t state.SavingsTotal
		var amount int64
		err := r.Scan(&t.Month, &t.Policy, &amount)
		t.Amount = money.Micros(amount)
		return t, err
	})
	if len(out) == 0 {
		out = nil // as the bbolt store reads none
	}
	state.SortTotals(out)
	return out, err
}

// exportMoney reads the money tables into snap.
func exportMoney(ctx context.Context, tx pgx.Tx, snap *state.Snapshot) (err error) {
	snap.Money = state.Money{}
	if snap.Money.Prices, err = readPrices(ctx, tx); err != nil {
		return err
	}
	if snap.Money.Savings, err = readMap[state.Saving](ctx, tx, "saving", "SELECT instance_id, doc FROM savings"); err != nil {
		return err
	}
	if len(snap.Money.Savings) == 0 {
		snap.Money.Savings = nil // as the bbolt store exports none
	}
	snap.Money.Totals, err = readTotals(ctx, tx)
	return err
}

// lockMoney locks the money tables against writers to the end of tx (Import).
func lockMoney(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, "LOCK TABLE prices, savings, savings_totals IN EXCLUSIVE MODE")
	return err
}

// mergeMoney writes m into tx's money tables: prices and savings not there yet, and every total
// added to the one of its month and policy. Import writes a snapshot's records with it, and Open
// the previous version's keys (moveLegacyMoney).
func mergeMoney(ctx context.Context, tx pgx.Tx, m state.Money) error {
	b := &pgx.Batch{}
	for _, p := range m.Prices {
		d, err := doc(p)
		if err != nil {
			return err
		}
		b.Queue("INSERT INTO prices (kind, month, key, doc) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
			string(p.Kind), p.Month, p.Key, string(d))
	}
	for _, id := range slices.Sorted(maps.Keys(m.Savings)) {
		d, err := doc(m.Savings[id])
		if err != nil {
			return err
		}
		b.Queue("INSERT INTO savings (instance_id, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, string(d))
	}
	for _, t := range m.Totals {
		b.Queue(addTotalSQL, t.Month, t.Policy, int64(t.Amount))
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// moveLegacyMoney moves the previous version's money keys out of meta into the money tables (see
// state.LegacyMoney), in one transaction. The keys are locked while they are moved: of two
// reapers opening the schema at once, one moves them and the other finds none.
func moveLegacyMoney(ctx context.Context, conn *pgx.Conn) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		legacy := map[string]string{}
		err := collect(ctx, tx, "SELECT key, value FROM meta WHERE key LIKE 'pricing/%' OR key LIKE 'savings/%' FOR UPDATE",
			func(k string, v []byte) error {
				if state.LegacyMoneyKey(k) {
					legacy[k] = string(v)
				}
				return nil
			})
		if err != nil || len(legacy) == 0 {
			return err
		}
		m, err := state.LegacyMoney(legacy)
		if err != nil {
			return err
		}
		if err := mergeMoney(ctx, tx, m); err != nil {
			return fmt.Errorf("move the savings ledger and price cache: %w", err)
		}
		_, err = tx.Exec(ctx, "DELETE FROM meta WHERE key = ANY($1::text[])", slices.Collect(maps.Keys(legacy)))
		return err
	})
}
