package state

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Mark records that an instance is a termination candidate and since when.
type Mark struct {
	InstanceID string    `json:"instance_id"`
	FirstSeen  time.Time `json:"first_seen"`
	Reasons    []string  `json:"reasons"`
}

// Marks returns every mark, keyed by instance ID.
func (s *Store) Marks() (map[string]Mark, error) {
	marks := map[string]Mark{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bucketMarks), func(k []byte, m Mark) error {
			marks[string(k)] = m
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read marks: %w", err)
	}
	return marks, nil
}

// ReplaceMarks makes marks, keyed by instance ID, the whole set of marks, in
// one transaction. A mark with no InstanceID takes its key; a zero FirstSeen
// becomes now (which delays, never hastens, its due time).
func (s *Store) ReplaceMarks(marks map[string]Mark) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketMarks); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		b, err := tx.CreateBucket(bucketMarks)
		if err != nil {
			return err
		}
		now := s.now()
		for _, id := range slices.Sorted(maps.Keys(marks)) {
			if err := putMark(b, id, marks[id], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace marks: %w", err)
	}
	return nil
}

// putMark validates m against its key id and stores it.
func putMark(b *bolt.Bucket, id string, m Mark, now time.Time) error {
	if id == "" {
		return errors.New("mark with empty instance id")
	}
	if m.InstanceID == "" {
		m.InstanceID = id
	}
	if m.InstanceID != id {
		return fmt.Errorf("mark keyed %s has instance id %s", id, m.InstanceID)
	}
	if m.FirstSeen.IsZero() {
		m.FirstSeen = now
	}
	return putJSON(b, []byte(id), m)
}
