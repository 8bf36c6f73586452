package state

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Meta returns the metadata value for key; ok is false when it is not set.
func (s *Store) Meta(key string) (value string, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(key)); v != nil {
			value, ok = string(v), true
		}
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("read meta %s: %w", key, err)
	}
	return value, ok, nil
}

// SetMeta sets the metadata value for key. The schema version and the clock
// baseline (see LastRunTime) are reserved.
func (s *Store) SetMeta(key, value string) error {
	if err := CheckMeta(key); err != nil {
		return fmt.Errorf("set meta %q: %w", key, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(key), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// ClaimMeta sets key to value only when it is unset (see Backend).
func (s *Store) ClaimMeta(key, value string) (prior string, claimed bool, err error) {
	if err := CheckMeta(key); err != nil {
		return "", false, fmt.Errorf("claim meta %q: %w", key, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if v := b.Get([]byte(key)); v != nil {
			prior = string(v)
			return nil
		}
		claimed = true
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		return "", false, fmt.Errorf("claim meta %s: %w", key, err)
	}
	return prior, claimed, nil
}
