package pgstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/state"
)

// DecisionCache returns the saved decision cache of generation (see state.DecisionCacheStore).
func (s *Store) DecisionCache(generation string) (blob []byte, ok bool, err error) {
	err = s.read("read decision cache", func(ctx context.Context, tx pgx.Tx) error {
		blob, ok = nil, false
		err := tx.QueryRow(ctx, "SELECT blob FROM decision_cache WHERE id = 1 AND generation = $1", generation).Scan(&blob)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	return blob, ok, err
}

// PutDecisionCache replaces the saved decision cache (see state.DecisionCacheStore).
func (s *Store) PutDecisionCache(generation string, blob []byte) error {
	if err := state.CheckDecisionCache(generation, blob); err != nil {
		return fmt.Errorf("save decision cache: %w", err)
	}
	return s.write("save decision cache", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO decision_cache (id, generation, blob, saved_at) VALUES (1, $1, $2, now())
			ON CONFLICT (id) DO UPDATE SET generation = EXCLUDED.generation, blob = EXCLUDED.blob, saved_at = EXCLUDED.saved_at`,
			generation, blob)
		return err
	})
}
