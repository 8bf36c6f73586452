package pgstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/state"
)

// keyLastRunTime is the meta row of the clock baseline, kept as bbolt keeps it: UTC, RFC 3339
// with nanoseconds.
const keyLastRunTime = "last_run_time"

// PutRun creates or replaces the run with r.ID and returns its sequence number: a new run gets
// the next one, a replaced run keeps its own (r.Seq is ignored). The clock baseline rises to the
// run's times. An empty r.Node becomes the store's node.
func (s *Store) PutRun(r state.Run) (uint64, error) { return s.putRun(r, true) }

// PutRunKeepClock records r as PutRun does but leaves the clock baseline alone: for a run that
// changes nothing the leader keeps (a plan on the shared state, made by another node whose clock
// may be ahead), so that it cannot block the leader's cycles as "clock behind the last run".
func (s *Store) PutRunKeepClock(r state.Run) (uint64, error) { return s.putRun(r, false) }

func (s *Store) putRun(r state.Run, raiseClock bool) (uint64, error) {
	if r.ID == "" {
		return 0, errors.New("put run: empty run id")
	}
	if r.Node == "" {
		r.Node = s.node
	}
	err := s.write("put run "+r.ID, func(ctx context.Context, tx pgx.Tx) error {
		// The sequence row first: it orders concurrent writers of new and replaced runs alike.
		var next int64
		if err := tx.QueryRow(ctx, "SELECT value + 1 FROM run_sequence FOR UPDATE").Scan(&next); err != nil {
			return err
		}
		var seq int64
		err := tx.QueryRow(ctx, "SELECT seq FROM runs WHERE id = $1", r.ID).Scan(&seq)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			seq = next
			if _, err := tx.Exec(ctx, "UPDATE run_sequence SET value = $1", next); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		r.Seq = uint64(seq)
		d, err := doc(r)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO runs (id, seq, node, doc) VALUES ($1, $2, $3, $4) "+
			"ON CONFLICT (id) DO UPDATE SET node = EXCLUDED.node, doc = EXCLUDED.doc", r.ID, seq, r.Node, string(d)); err != nil {
			return err
		}
		if !raiseClock {
			return nil
		}
		return raiseLastRunTime(ctx, tx, r.StartedAt, r.FinishedAt)
	})
	if err != nil {
		return 0, err
	}
	return r.Seq, nil
}

// Runs returns up to limit runs, newest (highest Seq) first; limit <= 0 means all.
func (s *Store) Runs(limit int) (out []state.Run, err error) {
	err = s.read("read runs", func(ctx context.Context, tx pgx.Tx) error {
		out, err = readRuns(ctx, tx, limit)
		return err
	})
	return out, err
}

func readRuns(ctx context.Context, tx pgx.Tx, limit int) ([]state.Run, error) {
	sql := "SELECT id, doc FROM runs ORDER BY seq DESC"
	var args []any
	if limit > 0 {
		sql += " LIMIT $1"
		args = append(args, limit)
	}
	var out []state.Run
	err := collect(ctx, tx, sql, func(k string, data []byte) error {
		var r state.Run
		if err := decode("run "+k, data, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, args...)
	return out, err
}

// LastCompleteInventory returns the inventory size of the newest run (by Seq) whose inventory
// was complete; ok is false when there is none.
func (s *Store) LastCompleteInventory() (size int, ok bool, err error) {
	err = s.read("read last complete inventory", func(ctx context.Context, tx pgx.Tx) error {
		var data []byte
		err := tx.QueryRow(ctx, "SELECT doc FROM runs WHERE (doc->>'inventory_complete')::boolean ORDER BY seq DESC LIMIT 1").Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var r state.Run
		if err := decode("run", data, &r); err != nil {
			return err
		}
		size, ok = r.InventorySize, true
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return size, ok, nil
}

// AdvanceRunSeq makes the next run's sequence number greater than min. It never moves the
// sequence backwards.
func (s *Store) AdvanceRunSeq(min uint64) error {
	return s.write("advance run sequence", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE run_sequence SET value = greatest(value, $1)", int64(min))
		return err
	})
}

// LastRunTime returns the latest time any recorded run started or finished, by the clock of the
// node at the time, or the time an operator accepted since (AcceptClock); ok is false when there
// is none.
func (s *Store) LastRunTime() (t time.Time, ok bool, err error) {
	err = s.read("read last run time", func(ctx context.Context, tx pgx.Tx) error {
		t, ok, err = lastRunTime(ctx, tx)
		return err
	})
	return t, ok, err
}

// AcceptClock sets the clock baseline to now and returns the baseline it replaced (zero when
// there was none).
func (s *Store) AcceptClock(now time.Time) (previous time.Time, err error) {
	err = s.write("accept clock", func(ctx context.Context, tx pgx.Tx) error {
		if previous, _, err = lastRunTime(ctx, tx); err != nil {
			return err
		}
		return writeMeta(ctx, tx, keyLastRunTime, formatTime(now))
	})
	return previous, err
}

func lastRunTime(ctx context.Context, tx pgx.Tx) (time.Time, bool, error) {
	v, ok, err := readMeta(ctx, tx, keyLastRunTime)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("decode %s: %w", keyLastRunTime, err)
	}
	return t, true, nil
}

// raiseLastRunTime moves the clock baseline up to the latest of ts, under a row lock.
func raiseLastRunTime(ctx context.Context, tx pgx.Tx, ts ...time.Time) error {
	var latest time.Time
	for _, t := range ts {
		if t.After(latest) {
			latest = t
		}
	}
	if latest.IsZero() {
		return nil
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM meta WHERE key = $1 FOR UPDATE", keyLastRunTime); err != nil {
		return err
	}
	cur, _, err := lastRunTime(ctx, tx)
	if err != nil || !latest.After(cur) {
		return err
	}
	return writeMeta(ctx, tx, keyLastRunTime, formatTime(latest))
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
