package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Run summarises one cycle. ID is chosen by the caller and must sort
// chronologically (for example "20261126T083000Z-abcd"); InventorySize with
// InventoryComplete is the baseline of the fleet-drop limit.
type Run struct {
	ID                string         `json:"id"`
	Command           string         `json:"command"`
	StartedAt         time.Time      `json:"started_at"`
	FinishedAt        time.Time      `json:"finished_at"`
	DryRun            bool           `json:"dry_run"`
	Result            string         `json:"result"`
	InventoryComplete bool           `json:"inventory_complete"`
	InventorySize     int            `json:"inventory_size"`
	Counts            map[string]int `json:"counts"`
	Blocked           string         `json:"blocked"`
	Error             string         `json:"error"`
	ReportDir         string         `json:"report_dir"`
}

// PutRun creates or replaces the run with r.ID, so a run can be recorded when
// it starts and again when it finishes.
func (s *Store) PutRun(r Run) error {
	if r.ID == "" {
		return errors.New("put run: empty run id")
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketRuns), []byte(r.ID), r)
	})
	if err != nil {
		return fmt.Errorf("put run %s: %w", r.ID, err)
	}
	return nil
}

// Runs returns up to limit runs, newest first; limit <= 0 means all.
func (s *Store) Runs(limit int) ([]Run, error) {
	var runs []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachNewest(tx.Bucket(bucketRuns), func(k, data []byte) (bool, error) {
			var r Run
			if err := json.Unmarshal(data, &r); err != nil {
				return false, fmt.Errorf("decode %s: %w", k, err)
			}
			runs = append(runs, r)
			return limit > 0 && len(runs) >= limit, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	return runs, nil
}

// LastCompleteInventory returns the inventory size of the newest run whose
// inventory was complete; ok is false when there is none.
func (s *Store) LastCompleteInventory() (size int, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return eachNewest(tx.Bucket(bucketRuns), func(k, data []byte) (bool, error) {
			var r struct {
				InventoryComplete bool `json:"inventory_complete"`
				InventorySize     int  `json:"inventory_size"`
			}
			if err := json.Unmarshal(data, &r); err != nil {
				return false, fmt.Errorf("decode %s: %w", k, err)
			}
			size, ok = r.InventorySize, r.InventoryComplete
			return ok, nil
		})
	})
	if err != nil {
		return 0, false, fmt.Errorf("read last complete inventory: %w", err)
	}
	if !ok {
		size = 0
	}
	return size, ok, nil
}

// eachNewest calls fn for the values of b from the last key backwards until
// fn says stop. A missing bucket has no values.
func eachNewest(b *bolt.Bucket, fn func(k, v []byte) (stop bool, err error)) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		stop, err := fn(k, v)
		if err != nil || stop {
			return err
		}
	}
	return nil
}
