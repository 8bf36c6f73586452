package state

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Outcome is what happened to an intent: the result, the API request ID and
// any error text.
type Outcome struct {
	Result    string    `json:"result"`
	RequestID string    `json:"request_id"`
	Error     string    `json:"error"`
	At        time.Time `json:"at"`
}

// Intent records that a run was about to terminate an instance. It is written
// before the API call; an intent without an Outcome after a crash means the
// call may or may not have happened.
type Intent struct {
	RunID      string    `json:"run_id"`
	InstanceID string    `json:"instance_id"`
	CreatedAt  time.Time `json:"created_at"`
	Reasons    []string  `json:"reasons"`
	Outcome    *Outcome  `json:"outcome"`
}

// PutIntent records in, committed and fsynced before it returns. It replaces
// an open intent with the same run and instance but never a completed one
// (ErrIntentCompleted). A zero CreatedAt becomes now.
func (s *Store) PutIntent(in Intent) error {
	in, err := PrepareIntent(in, s.now())
	if err != nil {
		return fmt.Errorf("put intent: %w", err)
	}
	key := []byte(in.RunID + "/" + in.InstanceID)
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntents)
		var old Intent
		found, err := getJSON(b, key, &old)
		if err != nil {
			return err
		}
		if found && old.Outcome != nil {
			return ErrIntentCompleted
		}
		return putJSON(b, key, in)
	})
	if err != nil {
		return fmt.Errorf("put intent %s: %w", key, err)
	}
	return nil
}

// CompleteIntent records the outcome of an open intent. It fails with
// ErrNoIntent when there is no such intent and ErrIntentCompleted when it
// already has an outcome. A zero o.At becomes now.
func (s *Store) CompleteIntent(runID, instanceID string, o Outcome) error {
	key, err := intentKey(runID, instanceID)
	if err != nil {
		return fmt.Errorf("complete intent: %w", err)
	}
	o = PrepareOutcome(o, s.now())
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntents)
		var in Intent
		found, err := getJSON(b, key, &in)
		switch {
		case err != nil:
			return err
		case !found:
			return ErrNoIntent
		case in.Outcome != nil:
			return ErrIntentCompleted
		}
		in.Outcome = &o
		return putJSON(b, key, in)
	})
	if err != nil {
		return fmt.Errorf("complete intent %s: %w", key, err)
	}
	return nil
}

// OpenIntents returns the intents without an outcome, oldest first.
func (s *Store) OpenIntents() ([]Intent, error) {
	all, err := s.Intents()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(in Intent) bool { return in.Outcome != nil }), nil
}

// Intents returns every intent, oldest first (see SortIntents).
func (s *Store) Intents() ([]Intent, error) {
	var intents []Intent
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bucketIntents), func(_ []byte, in Intent) error {
			intents = append(intents, in)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read intents: %w", err)
	}
	SortIntents(intents)
	return intents, nil
}

// PruneIntents deletes completed intents created before before, except the keep newest
// completed ones, and returns how many it deleted. Open intents are never pruned. "Newest" is
// the run sequence (see Run.Seq), never a time: an intent of a run not recorded yet (the cycle
// in progress) is newer than all. So a clock far ahead, which makes every intent look old, can
// delete only what is beyond the newest keep, and a run made with it does not push the newest
// real intents out.
func (s *Store) PruneIntents(before time.Time, keep int) (int, error) {
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntents)
		var done []IntentRef
		err := eachJSON(b, func(k []byte, in Intent) error {
			if in.Outcome == nil {
				return nil
			}
			seq, err := runSeq(tx, in.RunID)
			done = append(done, IntentRef{RunID: in.RunID, InstanceID: in.InstanceID, CreatedAt: in.CreatedAt, RunSeq: seq})
			return err
		})
		if err != nil {
			return err
		}
		stale := StaleIntents(done, before, keep)
		keys := make([][]byte, len(stale))
		for i, in := range stale {
			keys[i] = []byte(in.RunID + "/" + in.InstanceID)
		}
		n = len(keys)
		return deleteKeys(b, keys)
	})
	if err != nil {
		return 0, fmt.Errorf("prune intents: %w", err)
	}
	return n, nil
}

// runSeq is the sequence number of run id, or 0 for a run not recorded (yet).
func runSeq(tx *bolt.Tx, id string) (uint64, error) {
	var r struct {
		Seq uint64 `json:"seq"`
	}
	if _, err := getJSON(tx.Bucket(bucketRuns), []byte(id), &r); err != nil {
		return 0, err
	}
	return r.Seq, nil
}

// intentKey is runID/instanceID; run IDs sort chronologically, so keys do too.
func intentKey(runID, instanceID string) ([]byte, error) {
	if runID == "" || instanceID == "" {
		return nil, errors.New("empty run id or instance id")
	}
	if strings.Contains(runID, "/") {
		return nil, fmt.Errorf("run id %q contains a slash", runID)
	}
	return []byte(runID + "/" + instanceID), nil
}

// SortIntents puts intents in the order Intents returns them, oldest first: by run ID, then
// creation time, then instance ID.
func SortIntents(intents []Intent) { slices.SortFunc(intents, compareIntents) }

func compareIntents(a, b Intent) int {
	if c := strings.Compare(a.RunID, b.RunID); c != 0 {
		return c
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.InstanceID, b.InstanceID)
}

// deleteKeys deletes keys from b (collected first: deleting while iterating
// a bbolt cursor can skip entries).
func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
