package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

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
		rows, err := tx.Query(ctx, "SELECT id, doc FROM approvals WHERE outcome IS NULL ORDER BY id")
		if err != nil {
			return err
		}
		var id int64
		var doc string
		_, err = pgx.ForEachRow(rows, []any{&id, &doc}, func() error {
			p := state.PendingApproval{}
			p.Err = state.DecodeApproval([]byte(doc), &p.Approval)
			p.ID = strconv.FormatInt(id, 10)
			out = append(out, p)
			return nil
		})
		return err
	})
	return out, err
}

// FinishApproval records o as the outcome of approval id, which takes it off the queue (the row
// is kept, for `reaper apply --wait`), and deletes outcomes older than state.ApprovalOutcomeKeep.
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
		tag, err := tx.Exec(ctx, "UPDATE approvals SET outcome = $2, finished_at = $3 WHERE id = $1 AND outcome IS NULL", n, string(data), o.FinishedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return errors.New("no such approval waiting")
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
