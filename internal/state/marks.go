package state

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// Marks are kept per (instance, policy): each policy that nominates an instance has its own mark
// and its own grace period, so an instance is due only when one policy has nominated it
// continuously for the whole grace period.
//
// They live in the bucket policy_marks, keyed by instance ID, markKeySep and policy. The bucket
// "marks" of earlier versions held one mark per instance, whatever policy nominated it; it is
// never read, and the first ReplaceMarks deletes it. While it exists, an earlier version has
// used the store (its writers create it), so policy_marks may be stale (a policy may have
// stopped and started again meanwhile): Marks then returns none. Dropping marks only restarts
// grace periods (every candidate is marked afresh by the next cycle), which delays a termination
// and never hastens one.

// bucketPolicyMarks holds the marks. bucketMarks (schema.go) is the legacy per-instance bucket.
var bucketPolicyMarks = []byte("policy_marks")

// markKeySep separates the instance ID from the policy in a mark's key. Neither may contain it.
const markKeySep = "\x00"

// Mark records that one policy nominates an instance for termination, and since when.
type Mark struct {
	InstanceID string    `json:"instance_id"`
	Policy     string    `json:"policy"`
	FirstSeen  time.Time `json:"first_seen"`
	Reasons    []string  `json:"reasons"`
}

// MarkKey identifies a mark: one instance and one policy.
type MarkKey struct {
	InstanceID string
	Policy     string
}

// Key returns the key of m.
func (m Mark) Key() MarkKey { return MarkKey{InstanceID: m.InstanceID, Policy: m.Policy} }

// String returns the key as "instance/policy", for messages.
func (k MarkKey) String() string { return k.InstanceID + "/" + k.Policy }

// bytes returns the key under which the mark is stored.
func (k MarkKey) bytes() []byte { return []byte(k.InstanceID + markKeySep + k.Policy) }

// check reports a key that cannot be stored and read back.
func (k MarkKey) check() error {
	switch {
	case k.InstanceID == "":
		return errors.New("mark with empty instance id")
	case k.Policy == "":
		return fmt.Errorf("mark of %s with empty policy", k.InstanceID)
	case strings.Contains(k.InstanceID, markKeySep), strings.Contains(k.Policy, markKeySep):
		return fmt.Errorf("mark key %q contains a NUL byte", k.String())
	}
	return nil
}

// Marks returns every mark, keyed by (instance, policy), or none while the per-instance marks
// bucket of an earlier version exists (see above).
func (s *Store) Marks() (map[MarkKey]Mark, error) {
	marks := map[MarkKey]Mark{}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMarks) != nil {
			return nil
		}
		return eachJSON(tx.Bucket(bucketPolicyMarks), func(k []byte, m Mark) error {
			if string(k) != string(m.Key().bytes()) {
				return fmt.Errorf("mark stored under %q is for %s", k, m.Key())
			}
			marks[m.Key()] = m
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read marks: %w", err)
	}
	return marks, nil
}

// ReplaceMarks makes marks the whole set of marks, in one transaction, and deletes the per-instance
// marks of earlier versions. A mark with no InstanceID or Policy takes its key's; a zero FirstSeen
// becomes now (which delays, never hastens, its due time).
func (s *Store) ReplaceMarks(marks map[MarkKey]Mark) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketPolicyMarks, bucketMarks} {
			if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bolterr.ErrBucketNotFound) {
				return err
			}
		}
		b, err := tx.CreateBucket(bucketPolicyMarks)
		if err != nil {
			return err
		}
		// The keys go in sorted, into an empty bucket: full pages, not the half-full ones bbolt
		// leaves for later inserts, halve the pages a large fleet's marks take in the file and
		// in the memory of the write (issue 14).
		b.FillPercent = 1
		now := s.now()
		for _, k := range slices.SortedFunc(maps.Keys(marks), CompareMarkKeys) {
			if err := putMark(b, k, marks[k], now); err != nil {
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

// CompareMarkKeys orders mark keys by instance ID, then policy: the order of their stored keys
// (bytes), since neither part may hold the NUL byte that separates them (check). It allocates
// nothing: a cycle sorts a mark per candidate, tens of thousands in a large fleet.
func CompareMarkKeys(a, b MarkKey) int {
	return cmp.Or(strings.Compare(a.InstanceID, b.InstanceID), strings.Compare(a.Policy, b.Policy))
}

// putMark validates m against its key k (see PrepareMark) and stores it.
func putMark(b *bolt.Bucket, k MarkKey, m Mark, now time.Time) error {
	m, err := PrepareMark(k, m, now)
	if err != nil {
		return err
	}
	return putJSON(b, k.bytes(), m)
}
