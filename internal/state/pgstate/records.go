package pgstate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/state"
)

// Marks returns every mark, keyed by (instance, policy).
func (s *Store) Marks() (map[state.MarkKey]state.Mark, error) {
	marks := map[state.MarkKey]state.Mark{}
	err := s.read("read marks", func(ctx context.Context, tx pgx.Tx) error {
		return readMarks(ctx, tx, marks)
	})
	if err != nil {
		return nil, err
	}
	return marks, nil
}

func readMarks(ctx context.Context, tx pgx.Tx, into map[state.MarkKey]state.Mark) error {
	rows, err := tx.Query(ctx, "SELECT instance_id, policy, doc FROM marks")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k state.MarkKey
		var data []byte
		if err := rows.Scan(&k.InstanceID, &k.Policy, &data); err != nil {
			return err
		}
		var m state.Mark
		if err := decode("mark "+k.String(), data, &m); err != nil {
			return err
		}
		if m.Key() != k {
			return fmt.Errorf("mark stored under %s is for %s", k, m.Key())
		}
		into[k] = m
	}
	return rows.Err()
}

// ReplaceMarks makes marks the whole set of marks, in one transaction (see state.PrepareMark).
func (s *Store) ReplaceMarks(marks map[state.MarkKey]state.Mark) error {
	now := s.now()
	rows := make([][]any, 0, len(marks))
	for _, k := range slices.SortedFunc(maps.Keys(marks), state.CompareMarkKeys) {
		m, err := state.PrepareMark(k, marks[k], now)
		if err != nil {
			return fmt.Errorf("replace marks: %w", err)
		}
		d, err := doc(m)
		if err != nil {
			return fmt.Errorf("replace marks: %w", err)
		}
		rows = append(rows, []any{k.InstanceID, k.Policy, string(d)})
	}
	return s.write("replace marks", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM marks"); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"marks"}, []string{"instance_id", "policy", "doc"}, pgx.CopyFromRows(rows))
		return err
	})
}

// readMap reads the (key, document) rows of sql into a map.
func readMap[T any](ctx context.Context, tx pgx.Tx, what, sql string) (map[string]T, error) {
	out := map[string]T{}
	err := collect(ctx, tx, sql, func(k string, data []byte) error {
		var v T
		if err := decode(what+" "+k, data, &v); err != nil {
			return err
		}
		out[k] = v
		return nil
	})
	return out, err
}

// Refusals returns every remembered refusal, keyed by instance ID.
func (s *Store) Refusals() (out map[string]state.Refusal, err error) {
	err = s.read("read refusals", func(ctx context.Context, tx pgx.Tx) error {
		out, err = readMap[state.Refusal](ctx, tx, "refusal", "SELECT instance_id, doc FROM refusals")
		return err
	})
	return out, err
}

// PutRefusal creates or replaces the refusal for r.InstanceID (see state.PrepareRefusal).
func (s *Store) PutRefusal(r state.Refusal) error {
	r, err := state.PrepareRefusal(r, s.now())
	if err != nil {
		return fmt.Errorf("put refusal: %w", err)
	}
	return s.upsert("put refusal "+r.InstanceID, "refusals", r.InstanceID, r)
}

// DeleteRefusal forgets the refusal for instanceID; forgetting none is not an error.
func (s *Store) DeleteRefusal(instanceID string) error {
	return s.write("delete refusal "+instanceID, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM refusals WHERE instance_id = $1", instanceID)
		return err
	})
}

// Unconfirmed returns every remembered unconfirmed termination, keyed by instance ID.
func (s *Store) Unconfirmed() (out map[string]state.Unconfirmed, err error) {
	err = s.read("read unconfirmed terminations", func(ctx context.Context, tx pgx.Tx) error {
		out, err = readMap[state.Unconfirmed](ctx, tx, "unconfirmed termination", "SELECT instance_id, doc FROM unconfirmed")
		return err
	})
	return out, err
}

// PutUnconfirmed creates or replaces the record for u.InstanceID (see state.PrepareUnconfirmed).
func (s *Store) PutUnconfirmed(u state.Unconfirmed) error {
	u, err := state.PrepareUnconfirmed(u, s.now())
	if err != nil {
		return fmt.Errorf("put unconfirmed termination: %w", err)
	}
	return s.upsert("put unconfirmed termination "+u.InstanceID, "unconfirmed", u.InstanceID, u)
}

// DeleteUnconfirmed forgets the record for instanceID; forgetting none is not an error.
func (s *Store) DeleteUnconfirmed(instanceID string) error {
	return s.write("delete unconfirmed termination "+instanceID, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM unconfirmed WHERE instance_id = $1", instanceID)
		return err
	})
}

// upsert creates or replaces the row of table (keyed by instance_id) with v's document.
func (s *Store) upsert(op, table, instanceID string, v any) error {
	d, err := doc(v)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.write(op, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO "+table+" (instance_id, doc) VALUES ($1, $2) "+
			"ON CONFLICT (instance_id) DO UPDATE SET doc = EXCLUDED.doc", instanceID, string(d))
		return err
	})
}

// Traffic returns the cached record for instanceID; ok is false when there is none.
func (s *Store) Traffic(instanceID string) (rec state.TrafficRecord, ok bool, err error) {
	err = s.read("read traffic "+instanceID, func(ctx context.Context, tx pgx.Tx) error {
		var data []byte
		err := tx.QueryRow(ctx, "SELECT doc FROM traffic WHERE instance_id = $1", instanceID).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		return decode("traffic "+instanceID, data, &rec)
	})
	if err != nil {
		return state.TrafficRecord{}, false, err
	}
	return rec, ok, nil
}

// PutTraffic creates or replaces the records, all in one transaction (see state.PrepareTraffic).
func (s *Store) PutTraffic(recs ...state.TrafficRecord) error {
	recs, err := state.PrepareTraffic(recs, s.now())
	if err != nil {
		return fmt.Errorf("put traffic: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	ids, docs := make([]string, len(recs)), make([]string, len(recs))
	for i, r := range recs {
		d, err := doc(r)
		if err != nil {
			return fmt.Errorf("put traffic: %w", err)
		}
		ids[i], docs[i] = r.InstanceID, string(d)
	}
	return s.write("put traffic", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO traffic (instance_id, doc) SELECT * FROM unnest($1::text[], $2::json[]) "+
			"ON CONFLICT (instance_id) DO UPDATE SET doc = EXCLUDED.doc", ids, docs)
		return err
	})
}

// PruneTraffic deletes the records of every instance not in keep (an empty keep deletes them all).
func (s *Store) PruneTraffic(keep map[string]bool) error {
	ids := []string{}
	for id, k := range keep {
		if k {
			ids = append(ids, id)
		}
	}
	return s.write("prune traffic", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM traffic WHERE NOT (instance_id = ANY($1::text[]))", ids)
		return err
	})
}

// Meta returns the metadata value for key; ok is false when it is not set.
func (s *Store) Meta(key string) (value string, ok bool, err error) {
	err = s.read("read meta "+key, func(ctx context.Context, tx pgx.Tx) error {
		value, ok, err = readMeta(ctx, tx, key)
		return err
	})
	return value, ok, err
}

func readMeta(ctx context.Context, tx pgx.Tx, key string) (string, bool, error) {
	var v string
	err := tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetMeta sets the metadata value for key. The schema version and the clock baseline are
// reserved.
func (s *Store) SetMeta(key, value string) error {
	if err := state.CheckMeta(key); err != nil {
		return fmt.Errorf("set meta %q: %w", key, err)
	}
	return s.write("set meta "+key, func(ctx context.Context, tx pgx.Tx) error {
		return writeMeta(ctx, tx, key, value)
	})
}

// ClaimMeta sets key to value only when it is unset (see state.Backend). The primary key makes
// the insert the arbiter: of racing hosts exactly one inserts.
func (s *Store) ClaimMeta(key, value string) (prior string, claimed bool, err error) {
	if err := state.CheckMeta(key); err != nil {
		return "", false, fmt.Errorf("claim meta %q: %w", key, err)
	}
	err = s.write("claim meta "+key, func(ctx context.Context, tx pgx.Tx) error {
		prior, claimed = "", false
		tag, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, value)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			claimed = true
			return nil
		}
		prior, _, err = readMeta(ctx, tx, key)
		return err
	})
	return prior, claimed, err
}

func writeMeta(ctx context.Context, tx pgx.Tx, key, value string) error {
	_, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", key, value)
	return err
}
