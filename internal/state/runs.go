package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Run summarises one cycle. ID is chosen by the caller; InventorySize with
// InventoryComplete is the baseline of the fleet-drop limit. Seq is assigned
// by the store when the run is first recorded: runs are ordered by Seq, never
// by ID or time, so a run made with a wrong clock cannot stay "the newest".
type Run struct {
	ID  string `json:"id"`
	Seq uint64 `json:"seq"`
	// Node is the host that made the run (state.node_name); a store fills in its own when it is
	// empty. Runs recorded before nodes were named have none.
	Node              string         `json:"node"`
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
}

// bucketRunSeq indexes the runs by sequence number: an 8-byte big-endian
// Seq maps to the run ID. The sequence itself is the runs bucket's.
var bucketRunSeq = []byte("run_seq")

// keyLastRunTime is the meta key of the latest time any run started or
// finished (RFC 3339, nanoseconds): the clock baseline.
const keyLastRunTime = "last_run_time"

// PutRun creates or replaces the run with r.ID, so a run can be recorded when
// it starts and again when it finishes, and returns its sequence number. A new
// run gets the next number; a replaced one keeps its own (r.Seq is ignored).
// The latest time a run started or finished is kept as LastRunTime. An empty r.Node becomes the
// store's node name (see WithNode).
func (s *Store) PutRun(r Run) (uint64, error) {
	if r.ID == "" {
		return 0, errors.New("put run: empty run id")
	}
	if r.Node == "" {
		r.Node = s.node
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		runs, index := tx.Bucket(bucketRuns), tx.Bucket(bucketRunSeq)
		var old struct {
			Seq uint64 `json:"seq"`
		}
		found, err := getJSON(runs, []byte(r.ID), &old)
		if err != nil {
			return err
		}
		r.Seq = old.Seq
		if !found || old.Seq == 0 {
			if r.Seq, err = runs.NextSequence(); err != nil {
				return err
			}
			if err := index.Put(seqKey(r.Seq), []byte(r.ID)); err != nil {
				return err
			}
		}
		if err := raiseLastRunTime(tx, r.StartedAt, r.FinishedAt); err != nil {
			return err
		}
		return putJSON(runs, []byte(r.ID), r)
	})
	if err != nil {
		return 0, fmt.Errorf("put run %s: %w", r.ID, err)
	}
	return r.Seq, nil
}

// Runs returns up to limit runs, newest (highest Seq) first; limit <= 0 means all.
func (s *Store) Runs(limit int) ([]Run, error) {
	var runs []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachNewestRun(tx, func(k, data []byte) (bool, error) {
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

// LastCompleteInventory returns the inventory size of the newest run (by
// Seq) whose inventory was complete; ok is false when there is none.
func (s *Store) LastCompleteInventory() (size int, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return eachNewestRun(tx, func(k, data []byte) (bool, error) {
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

// AdvanceRunSeq makes the next run's sequence number greater than min. It
// never moves the sequence backwards. Callers use it so that a fresh or
// restored store numbers its runs after reports that an earlier store wrote.
func (s *Store) AdvanceRunSeq(min uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		if b.Sequence() >= min {
			return nil
		}
		return b.SetSequence(min)
	})
	if err != nil {
		return fmt.Errorf("advance run sequence: %w", err)
	}
	return nil
}

// LastRunTime returns the latest time any recorded run started or finished,
// by the clock of the host at the time; ok is false when no run was recorded
// (or the baseline was cleared). It never goes down when a run is recorded,
// so a clock that went backwards is seen until AcceptClock.
func (s *Store) LastRunTime() (t time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		t, ok, err = lastRunTime(tx)
		return err
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read last run time: %w", err)
	}
	return t, ok, nil
}

// AcceptClock sets the clock baseline to now, for an operator who corrected
// a clock that was ahead, and returns the baseline it replaced (zero when
// there was none).
func (s *Store) AcceptClock(now time.Time) (previous time.Time, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		if previous, _, err = lastRunTime(tx); err != nil {
			return err
		}
		return setLastRunTime(tx, now)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("accept clock: %w", err)
	}
	return previous, nil
}

// lastRunTime reads the clock baseline. A store not yet migrated (read-only)
// has none in meta; it is then the latest time among the runs.
func lastRunTime(tx *bolt.Tx) (time.Time, bool, error) {
	if v := tx.Bucket(bucketMeta).Get([]byte(keyLastRunTime)); v != nil {
		t, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return time.Time{}, false, fmt.Errorf("decode %s: %w", keyLastRunTime, err)
		}
		return t, true, nil
	}
	if tx.Bucket(bucketRunSeq) != nil {
		return time.Time{}, false, nil
	}
	var latest time.Time
	err := eachJSON(tx.Bucket(bucketRuns), func(_ []byte, r runTimes) error {
		latest = later(latest, r.StartedAt, r.FinishedAt)
		return nil
	})
	return latest, !latest.IsZero(), err
}

// runTimes is the part of a run the clock baseline reads.
type runTimes struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// raiseLastRunTime moves the clock baseline up to the latest of ts.
func raiseLastRunTime(tx *bolt.Tx, ts ...time.Time) error {
	cur, _, err := lastRunTime(tx)
	if err != nil {
		return err
	}
	if t := later(cur, ts...); t.After(cur) {
		return setLastRunTime(tx, t)
	}
	return nil
}

func setLastRunTime(tx *bolt.Tx, t time.Time) error {
	return tx.Bucket(bucketMeta).Put([]byte(keyLastRunTime), []byte(t.UTC().Format(time.RFC3339Nano)))
}

// later returns the latest of t and ts.
func later(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// migrateRuns gives every run without a sequence number the next one, in key
// order (the order reaper used before sequence numbers), indexes it, and
// raises the clock baseline to the times of those runs (only those: a
// baseline an operator accepted stays). Stores written before sequence
// numbers, or by an older reaper since, are brought up to date on open.
func migrateRuns(tx *bolt.Tx) error {
	index, err := tx.CreateBucketIfNotExists(bucketRunSeq)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketRunSeq, err)
	}
	runs := tx.Bucket(bucketRuns)
	var todo []Run
	var latest time.Time
	err = eachJSON(runs, func(_ []byte, r Run) error {
		if r.Seq == 0 {
			todo = append(todo, r)
			latest = later(latest, r.StartedAt, r.FinishedAt)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate runs: %w", err)
	}
	for _, r := range todo {
		if r.Seq, err = runs.NextSequence(); err != nil {
			return err
		}
		if err := index.Put(seqKey(r.Seq), []byte(r.ID)); err != nil {
			return err
		}
		if err := putJSON(runs, []byte(r.ID), r); err != nil {
			return err
		}
	}
	return raiseLastRunTime(tx, latest)
}

// eachNewestRun calls fn for the runs from the highest Seq down until fn says
// stop. A store not yet migrated (read-only) has no index; its runs are then
// read in reverse key order, as reaper read them before sequence numbers.
func eachNewestRun(tx *bolt.Tx, fn func(k, v []byte) (stop bool, err error)) error {
	runs, index := tx.Bucket(bucketRuns), tx.Bucket(bucketRunSeq)
	if index == nil {
		return eachNewest(runs, fn)
	}
	return eachNewest(index, func(_, id []byte) (bool, error) {
		data := runs.Get(id)
		if data == nil {
			return false, fmt.Errorf("run %s is indexed but missing", id)
		}
		return fn(id, data)
	})
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

// seqKey is the index key of seq: big-endian, so keys sort as numbers.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}
