package state

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RefusalKind is why the API refused to terminate an instance.
type RefusalKind string

// The refusals reaper remembers.
const (
	// RefusalCommitment is OPERATION_DENIED_POSTPAID_PROMISE: the instance is in a commitment period.
	RefusalCommitment RefusalKind = "commitment"
	// RefusalSubscription is a prepaid (subscription) instance.
	RefusalSubscription RefusalKind = "subscription"
)

// Refusal records that the API refused to terminate an instance, and when
// reaper learned it.
type Refusal struct {
	InstanceID string      `json:"instance_id"`
	Kind       RefusalKind `json:"kind"`
	LearnedAt  time.Time   `json:"learned_at"`
	RequestID  string      `json:"request_id"`
}

// Refusals returns every remembered refusal, keyed by instance ID.
func (s *Store) Refusals() (map[string]Refusal, error) {
	refusals := map[string]Refusal{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bucketRefusals), func(k []byte, r Refusal) error {
			refusals[string(k)] = r
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read refusals: %w", err)
	}
	return refusals, nil
}

// PutRefusal creates or replaces the refusal for r.InstanceID. A zero
// LearnedAt becomes now.
func (s *Store) PutRefusal(r Refusal) error {
	r, err := PrepareRefusal(r, s.now())
	if err != nil {
		return fmt.Errorf("put refusal: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketRefusals), []byte(r.InstanceID), r)
	})
	if err != nil {
		return fmt.Errorf("put refusal %s: %w", r.InstanceID, err)
	}
	return nil
}

// DeleteRefusal forgets the refusal for instanceID; forgetting none is not an error.
func (s *Store) DeleteRefusal(instanceID string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRefusals).Delete([]byte(instanceID))
	})
	if err != nil {
		return fmt.Errorf("delete refusal %s: %w", instanceID, err)
	}
	return nil
}

// validate checks the instance ID and the kind.
func (r Refusal) validate() error {
	if r.InstanceID == "" {
		return errors.New("empty instance id")
	}
	if r.Kind != RefusalCommitment && r.Kind != RefusalSubscription {
		return fmt.Errorf("unknown refusal kind %q", r.Kind)
	}
	return nil
}
