package state

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// DecisionCacheStore keeps the policy engine's decision cache between processes (see
// internal/policy, ExportCache and ImportCache): one opaque blob, for the one generation it was
// written for. It is derived data, a pure function of the generation and the instances'
// fields: losing it costs one cold cycle, so it is not part of Export/Import (state migrate)
// and the target of a migration starts cold.
type DecisionCacheStore interface {
	// DecisionCache returns the blob saved for generation; ok is false when the store holds
	// none, or one of another generation.
	DecisionCache(generation string) (blob []byte, ok bool, err error)
	// PutDecisionCache saves blob for generation, replacing what was saved before, whatever
	// its generation.
	PutDecisionCache(generation string, blob []byte) error
}

// Bounds of a saved decision cache.
const (
	MaxDecisionCacheBytes      = 256 << 20
	MaxDecisionCacheGeneration = 1024
)

// CheckDecisionCache says why generation and blob cannot be saved, or returns nil.
func CheckDecisionCache(generation string, blob []byte) error {
	switch {
	case generation == "":
		return errors.New("empty generation")
	case len(generation) > MaxDecisionCacheGeneration:
		return fmt.Errorf("generation of %d bytes, more than %d", len(generation), MaxDecisionCacheGeneration)
	case len(blob) == 0:
		return errors.New("empty blob")
	case len(blob) > MaxDecisionCacheBytes:
		return fmt.Errorf("blob of %d bytes, more than %d", len(blob), MaxDecisionCacheBytes)
	}
	return nil
}

// bucketDecisionCache holds the saved decision cache: the keys generation and blob. It is made
// by the first save: a store without it has none, and its layout stays SchemaVersion 1.
var bucketDecisionCache = []byte("decision_cache")

var (
	keyCacheGeneration = []byte("generation")
	keyCacheBlob       = []byte("blob")
)

// DecisionCache returns the saved decision cache of generation (see DecisionCacheStore).
func (s *Store) DecisionCache(generation string) (blob []byte, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDecisionCache)
		if b == nil || string(b.Get(keyCacheGeneration)) != generation {
			return nil
		}
		if v := b.Get(keyCacheBlob); v != nil {
			blob, ok = append([]byte(nil), v...), true
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("read decision cache: %w", err)
	}
	return blob, ok, nil
}

// PutDecisionCache replaces the saved decision cache (see DecisionCacheStore).
func (s *Store) PutDecisionCache(generation string, blob []byte) error {
	if err := CheckDecisionCache(generation, blob); err != nil {
		return fmt.Errorf("save decision cache: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDecisionCache)
		if err != nil {
			return err
		}
		if err := b.Put(keyCacheGeneration, []byte(generation)); err != nil {
			return err
		}
		return b.Put(keyCacheBlob, blob)
	})
	if err != nil {
		return fmt.Errorf("save decision cache: %w", err)
	}
	return nil
}
