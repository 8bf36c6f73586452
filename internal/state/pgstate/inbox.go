package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/state"
)

// The approval queue of a shared state (table approvals, migration 006): every host sees the
// same queue, so whichever reaper leads picks an approval up. The methods mirror state.Inbox.

// QueueApproval inserts a and returns its ID (the row's id).
func (s *Store) QueueApproval(a state.Approval) (string, error) {
	if a.QueuedAt.IsZero() {
		a.QueuedAt = s.now()
	}
	data, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("queue approval: %w", err)
	}
	var id int64
	err = s.write("queue approval", func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, "INSERT INTO approvals (plan_run_id, doc, queued_at) VALUES ($1, $2, $3) RETURNING id",
			a.PlanRunID, string(data), a.QueuedAt).Scan(&id)
	})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(id, 10), nil
}

// PendingApprovals returns the approvals that wait, oldest first; one whose document cannot be
// read as an approval has Err set.
func (s *Store) PendingApprovals() ([]state.PendingApproval, error) {
	var out []state.PendingApproval
	err := s.read("read approvals", func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, `SELECT id, doc, taken_node, taken_run, taken_at, taken_session
			FROM approvals WHERE outcome IS NULL ORDER BY id`)
		if err != nil {
			return err
		}
		var id int64
		var doc string
		var node, run *string
		var at *time.Time
		var session *int32
		_, err = pgx.ForEachRow(rows, []any{&id, &doc, &node, &run, &at, &session}, func() error {
			p := state.PendingApproval{}
			p.Err = state.DecodeApproval([]byte(doc), &p.Approval)
			p.ID = strconv.FormatInt(id, 10)
			if run != nil {
				p.Taken = &state.ApprovalTake{RunID: *run}
				if node != nil {
					p.Taken.Node = *node
				}
				if at != nil {
					p.Taken.At = *at
				}
				if session != nil {
					p.Taken.Session = uint32(*session)
				}
			}
			out = append(out, p)
			return nil
		})
		return err
	})
	return out, err
}

// TakeApproval records t as the take of approval id, in one UPDATE that matches only while the
// approval waits and t.Session (the taker's leadership session) holds the schema's advisory lock:
// a reaper that lost leadership, even one that has not noticed yet, gets state.ErrNotTaken and
// must not act. The lock is held by one session at a time, so a take by any other session is one
// whose leadership lapsed and is taken over.
func (s *Store) TakeApproval(id string, t state.ApprovalTake) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("take approval %q: not an approval ID", id)
	}
	if t.Session == 0 || t.RunID == "" {
		return fmt.Errorf("take approval %s: %w: no leadership session or run", id, state.ErrNotTaken)
	}
	return s.write("take approval "+id, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE approvals SET taken_node = $2, taken_run = $3, taken_at = $4, taken_session = $5
			WHERE id = $1 AND outcome IS NULL AND `+leads,
			n, t.Node, t.RunID, t.At, int32(t.Session), leaderLockKey(s.Schema()))
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("%w: finished, unknown, or this reaper's leadership session no longer holds the lock", state.ErrNotTaken)
		}
		return nil
	})
}

// leads is true while the backend $5 leads (internal/leader): the leadership row names it, which
// its holder writes once it has the lock and the next holder overwrites, and it holds this
// state's leadership lock ($6, leader.LockKey of the schema). Any advisory lock would not do: a
// backend that reused an ended leader's pid before the next leader overwrote the row may hold
// another one (another state's leadership in the same database, say).
const leads = `$5 = (SELECT pid FROM leadership WHERE id = 1) AND EXISTS (SELECT 1 FROM pg_locks
	WHERE locktype = 'advisory' AND granted AND pid = $5
	AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND classid::int8 = ($6::int8 >> 32) & 4294967295 AND objid::int8 = $6::int8 & 4294967295
	AND objsubid = 1)`

// leaderLockKey is leader.LockKey(schema), the advisory lock key of the state's leadership
// (internal/leader imports this package in its tests, so it is computed here again; a test keeps
// the two equal).
func leaderLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("reaper leadership\x00" + schema))
	return int64(h.Sum64())
}

// FinishApproval records o as the outcome of approval id, which takes it off the queue (the row
// is kept, for `reaper apply --wait`), and deletes outcomes older than state.ApprovalOutcomeKeep.
// Only the approval's current take may finish it (o.Take is its run ID; "" for one never taken):
// a reaper whose take was taken over records nothing.
func (s *Store) FinishApproval(id string, o state.ApprovalOutcome) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("finish approval %q: not an approval ID", id)
	}
	o.ApprovalID = id
	data, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("finish approval %s: %w", id, err)
	}
	return s.write("finish approval "+id, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE approvals SET outcome = $2, finished_at = $3
			WHERE id = $1 AND outcome IS NULL AND taken_run IS NOT DISTINCT FROM NULLIF($4, '')`, n, string(data), o.FinishedAt, o.Take)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return errors.New("no such approval waiting for this take (finished, or taken over by another reaper)")
		}
		_, err = tx.Exec(ctx, "DELETE FROM approvals WHERE outcome IS NOT NULL AND finished_at < $1", o.FinishedAt.Add(-state.ApprovalOutcomeKeep))
		return err
	})
}

// ApprovalOutcome returns the outcome of approval id; ok is false while it waits (or is unknown).
func (s *Store) ApprovalOutcome(id string) (state.ApprovalOutcome, bool, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return state.ApprovalOutcome{}, false, fmt.Errorf("read approval outcome: %q is not an approval ID", id)
	}
	var out *string
	err = s.read("read approval outcome "+id, func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		err := tx.QueryRow(ctx, "SELECT outcome FROM approvals WHERE id = $1", n).Scan(&out)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || out == nil {
		return state.ApprovalOutcome{}, false, err
	}
	var o state.ApprovalOutcome
	if err := json.Unmarshal([]byte(*out), &o); err != nil {
		return state.ApprovalOutcome{}, false, fmt.Errorf("read approval outcome %s: %w", id, err)
	}
	return o, true, nil
}

// ApprovalOutcomes returns every kept outcome.
func (s *Store) ApprovalOutcomes() ([]state.ApprovalOutcome, error) {
	var out []state.ApprovalOutcome
	err := s.read("read approval outcomes", func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, "SELECT outcome FROM approvals WHERE outcome IS NOT NULL ORDER BY id")
		if err != nil {
			return err
		}
		var doc string
		_, err = pgx.ForEachRow(rows, []any{&doc}, func() error {
			var o state.ApprovalOutcome
			if json.Unmarshal([]byte(doc), &o) == nil {
				out = append(out, o)
			}
			return nil
		})
		return err
	})
	return out, err
}
