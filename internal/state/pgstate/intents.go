package pgstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/state"
)

// PutIntent records in, committed before it returns. It replaces an open intent with the same
// run and instance but never a completed one (state.ErrIntentCompleted). A zero CreatedAt
// becomes now.
func (s *Store) PutIntent(in state.Intent) error {
	in, err := state.PrepareIntent(in, s.now())
	if err != nil {
		return fmt.Errorf("put intent: %w", err)
	}
	key := in.RunID + "/" + in.InstanceID
	d, err := doc(in)
	if err != nil {
		return fmt.Errorf("put intent %s: %w", key, err)
	}
	return s.write("put intent "+key, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO intents (run_id, instance_id, completed, doc) VALUES ($1, $2, false, $3) "+
			"ON CONFLICT (run_id, instance_id) DO UPDATE SET doc = EXCLUDED.doc WHERE NOT intents.completed",
			in.RunID, in.InstanceID, string(d))
		if err == nil && tag.RowsAffected() == 0 {
			return state.ErrIntentCompleted
		}
		return err
	})
}

// CompleteIntent records the outcome of an open intent. It fails with state.ErrNoIntent when
// there is no such intent and state.ErrIntentCompleted when it already has an outcome. A zero
// o.At becomes now.
func (s *Store) CompleteIntent(runID, instanceID string, o state.Outcome) error {
	key, err := state.IntentKey(runID, instanceID)
	if err != nil {
		return fmt.Errorf("complete intent: %w", err)
	}
	o = state.PrepareOutcome(o, s.now())
	return s.write("complete intent "+key, func(ctx context.Context, tx pgx.Tx) error {
		var data []byte
		var completed bool
		err := tx.QueryRow(ctx, "SELECT completed, doc FROM intents WHERE run_id = $1 AND instance_id = $2 FOR UPDATE",
			runID, instanceID).Scan(&completed, &data)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return state.ErrNoIntent
		case err != nil:
			return err
		case completed:
			return state.ErrIntentCompleted
		}
		var in state.Intent
		if err := decode("intent "+key, data, &in); err != nil {
			return err
		}
		in.Outcome = &o
		d, err := doc(in)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE intents SET completed = true, doc = $3 WHERE run_id = $1 AND instance_id = $2",
			runID, instanceID, string(d))
		return err
	})
}

// OpenIntents returns the intents without an outcome, oldest first.
func (s *Store) OpenIntents() ([]state.Intent, error) {
	return s.intents("read intents", "SELECT run_id || '/' || instance_id, doc FROM intents WHERE NOT completed")
}

// Intents returns every intent, oldest first (see state.SortIntents).
func (s *Store) Intents() ([]state.Intent, error) {
	return s.intents("read intents", "SELECT run_id || '/' || instance_id, doc FROM intents")
}

func (s *Store) intents(op, sql string) (out []state.Intent, err error) {
	err = s.read(op, func(ctx context.Context, tx pgx.Tx) error {
		out, err = readIntents(ctx, tx, sql)
		return err
	})
	return out, err
}

func readIntents(ctx context.Context, tx pgx.Tx, sql string) ([]state.Intent, error) {
	var out []state.Intent
	err := collect(ctx, tx, sql, func(k string, data []byte) error {
		var in state.Intent
		if err := decode("intent "+k, data, &in); err != nil {
			return err
		}
		out = append(out, in)
		return nil
	})
	state.SortIntents(out)
	return out, err
}

// PruneIntents deletes completed intents created before before, except the keep newest
// completed ones, and returns how many it deleted (see state.StaleIntents). Open intents are
// never pruned.
func (s *Store) PruneIntents(before time.Time, keep int) (int, error) {
	var n int
	err := s.write("prune intents", func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT i.doc, coalesce(r.seq, 0) FROM intents i LEFT JOIN runs r ON r.id = i.run_id
			WHERE i.completed FOR UPDATE OF i`)
		if err != nil {
			return err
		}
		var done []state.IntentRef
		for rows.Next() {
			var data []byte
			var seq int64
			if err := rows.Scan(&data, &seq); err != nil {
				rows.Close()
				return err
			}
			var in state.Intent
			if err := decode("intent", data, &in); err != nil {
				rows.Close()
				return err
			}
			done = append(done, state.IntentRef{RunID: in.RunID, InstanceID: in.InstanceID, CreatedAt: in.CreatedAt, RunSeq: uint64(seq)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		stale := state.StaleIntents(done, before, keep)
		runs, instances := make([]string, len(stale)), make([]string, len(stale))
		for i, in := range stale {
			runs[i], instances[i] = in.RunID, in.InstanceID
		}
		tag, err := tx.Exec(ctx, `DELETE FROM intents WHERE (run_id, instance_id) IN
			(SELECT * FROM unnest($1::text[], $2::text[]))`, runs, instances)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
