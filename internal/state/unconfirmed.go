package state

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Unconfirmed records that TerminateInstance answered 200 for an instance but a describe after
// the call showed it had not taken (the instance was still RUNNING or STOPPED). reaper backs off
// before calling it again; Attempts counts such calls in a row and makes the wait grow.
type Unconfirmed struct {
	InstanceID string    `json:"instance_id"`
	Attempts   int       `json:"attempts"`
	FirstAt    time.Time `json:"first_at"`   // the first accepted call that did not take
	LastAt     time.Time `json:"last_at"`    // the latest one; the backoff counts from here
	RequestID  string    `json:"request_id"` // of the latest call
	Observed   string    `json:"observed"`   // what the describe after it showed, e.g. "RUNNING"
}

// Unconfirmed returns every remembered unconfirmed termination, keyed by instance ID.
func (s *Store) Unconfirmed() (map[string]Unconfirmed, error) {
	out := map[string]Unconfirmed{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bucketUnconfirmed), func(k []byte, u Unconfirmed) error {
			out[string(k)] = u
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read unconfirmed terminations: %w", err)
	}
	return out, nil
}

// PutUnconfirmed creates or replaces the record for u.InstanceID. A zero LastAt becomes now, a
// zero FirstAt becomes LastAt.
func (s *Store) PutUnconfirmed(u Unconfirmed) error {
	u, err := PrepareUnconfirmed(u, s.now())
	if err != nil {
		return fmt.Errorf("put unconfirmed termination: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketUnconfirmed), []byte(u.InstanceID), u)
	})
	if err != nil {
		return fmt.Errorf("put unconfirmed termination %s: %w", u.InstanceID, err)
	}
	return nil
}

// DeleteUnconfirmed forgets the record for instanceID; forgetting none is not an error.
func (s *Store) DeleteUnconfirmed(instanceID string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUnconfirmed).Delete([]byte(instanceID))
	})
	if err != nil {
		return fmt.Errorf("delete unconfirmed termination %s: %w", instanceID, err)
	}
	return nil
}
