package pgstate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/state"
)

// Export reads the whole store in one repeatable-read transaction: one consistent snapshot.
func (s *Store) Export() (*state.Snapshot, error) {
	var snap *state.Snapshot
	err := s.read("export state", func(ctx context.Context, tx pgx.Tx) (err error) {
		snap, err = export(ctx, tx)
		return err
	})
	return snap, err
}

func export(ctx context.Context, tx pgx.Tx) (*state.Snapshot, error) {
	snap := &state.Snapshot{Marks: map[state.MarkKey]state.Mark{}, Meta: map[string]string{}}
	var err error
	if err = readMarks(ctx, tx, snap.Marks); err != nil {
		return nil, err
	}
	if snap.Refusals, err = readMap[state.Refusal](ctx, tx, "refusal", "SELECT instance_id, doc FROM refusals"); err != nil {
		return nil, err
	}
	if snap.Unconfirmed, err = readMap[state.Unconfirmed](ctx, tx, "unconfirmed termination", "SELECT instance_id, doc FROM unconfirmed"); err != nil {
		return nil, err
	}
	if snap.Traffic, err = readMap[state.TrafficRecord](ctx, tx, "traffic", "SELECT instance_id, doc FROM traffic"); err != nil {
		return nil, err
	}
	if snap.Intents, err = readIntents(ctx, tx, "SELECT run_id || '/' || instance_id, doc FROM intents"); err != nil {
		return nil, err
	}
	if snap.Runs, err = readRuns(ctx, tx, 0); err != nil {
		return nil, err
	}
	var seq int64
	if err := tx.QueryRow(ctx, "SELECT value FROM run_sequence").Scan(&seq); err != nil {
		return nil, err
	}
	snap.RunSeq = uint64(seq)
	if err := exportMoney(ctx, tx, snap); err != nil {
		return nil, err
	}
	if snap.LastRunTime, _, err = lastRunTime(ctx, tx); err != nil {
		return nil, err
	}
	err = collect(ctx, tx, "SELECT key, value FROM meta WHERE key <> $1", func(k string, v []byte) error {
		snap.Meta[k] = string(v)
		return nil
	}, keyLastRunTime)
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// Import writes snap into the store in one transaction. It fails with a *state.NotEmptyError,
// and writes nothing, unless the store is empty. Records are written as they are.
func (s *Store) Import(snap *state.Snapshot) error {
	snap, err := state.UpgradeSnapshot(snap)
	if err != nil {
		return fmt.Errorf("import state: %w", err)
	}
	if err := state.CheckSnapshot(snap); err != nil {
		return fmt.Errorf("import state: %w", err)
	}
	return s.write("import state", func(ctx context.Context, tx pgx.Tx) error {
		// Nobody writes while we look and copy: the tables are locked to the end of the transaction.
		if _, err := tx.Exec(ctx, "LOCK TABLE marks, refusals, unconfirmed, intents, runs, run_sequence, traffic, meta IN EXCLUSIVE MODE"); err != nil {
			return err
		}
		if err := lockMoney(ctx, tx); err != nil {
			return err
		}
		have, err := export(ctx, tx)
		if err != nil {
			return err
		}
		if !have.Empty() {
			return &state.NotEmptyError{Where: fmt.Sprintf("postgres schema %q", s.schema), Counts: have.Counts(), RunSeq: have.RunSeq}
		}
		return importInto(ctx, tx, snap)
	})
}

// importInto copies snap's records into tx's empty tables.
func importInto(ctx context.Context, tx pgx.Tx, snap *state.Snapshot) error {
	var marks, refusals, unconfirmed, traffic, intents, runs, meta [][]any
	add := func(rows *[][]any, v any, cols ...any) error {
		d, err := doc(v)
		if err != nil {
			return err
		}
		*rows = append(*rows, append(cols, string(d)))
		return nil
	}
	for k, m := range snap.Marks {
		if err := add(&marks, m, k.InstanceID, k.Policy); err != nil {
			return err
		}
	}
	for k, r := range snap.Refusals {
		if err := add(&refusals, r, k); err != nil {
			return err
		}
	}
	for k, u := range snap.Unconfirmed {
		if err := add(&unconfirmed, u, k); err != nil {
			return err
		}
	}
	for k, r := range snap.Traffic {
		if err := add(&traffic, r, k); err != nil {
			return err
		}
	}
	for _, in := range snap.Intents {
		if err := add(&intents, in, in.RunID, in.InstanceID, in.Outcome != nil); err != nil {
			return err
		}
	}
	for _, r := range snap.Runs {
		if err := add(&runs, r, r.ID, int64(r.Seq), r.Node); err != nil {
			return err
		}
	}
	for k, v := range snap.Meta {
		meta = append(meta, []any{k, v})
	}
	if !snap.LastRunTime.IsZero() {
		meta = append(meta, []any{keyLastRunTime, formatTime(snap.LastRunTime)})
	}
	copies := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"marks", []string{"instance_id", "policy", "doc"}, marks},
		{"refusals", []string{"instance_id", "doc"}, refusals},
		{"unconfirmed", []string{"instance_id", "doc"}, unconfirmed},
		{"traffic", []string{"instance_id", "doc"}, traffic},
		{"intents", []string{"run_id", "instance_id", "completed", "doc"}, intents},
		{"runs", []string{"id", "seq", "node", "doc"}, runs},
		{"meta", []string{"key", "value"}, meta},
	}
	for _, c := range copies {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", c.table, err)
		}
	}
	if err := mergeMoney(ctx, tx, snap.Money); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "UPDATE run_sequence SET value = $1", int64(snap.RunSeq))
	return err
}
