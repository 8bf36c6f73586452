package state

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func key(id, policy string) MarkKey { return MarkKey{InstanceID: id, Policy: policy} }

// TestMarkUnderWrongKeyIsAnError: a mark whose content does not match its key is a store that
// lies; reading it fails instead of guessing.
func TestMarkUnderWrongKeyIsAnError(t *testing.T) {
	s := openStore(t)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketPolicyMarks), key("a", "reaper.idle").bytes(), Mark{InstanceID: "a", Policy: "reaper.expiry"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Marks(); err == nil {
		t.Fatal("Marks read a mark stored under another key, want an error")
	}
}

// TestLegacyPerInstanceMarksIgnoredThenDropped: the per-instance marks of earlier versions are
// never read (their first-seen time may belong to another policy), and while they exist per-policy
// marks are not trusted either (an earlier version ran on this store since they were written);
// the first ReplaceMarks deletes them, and reopening does not bring the old bucket back.
func TestLegacyPerInstanceMarksIgnoredThenDropped(t *testing.T) {
	dir := t.TempDir()
	s := openStoreIn(t, dir)
	stale := Mark{InstanceID: "i-2", Policy: "reaper.expiry", FirstSeen: time.Unix(1, 0).UTC()}
	if err := s.ReplaceMarks(map[MarkKey]Mark{stale.Key(): stale}); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMarks)
		if err != nil {
			return err
		}
		return putJSON(b, []byte("i-1"), map[string]any{"instance_id": "i-1", "first_seen": time.Unix(1, 0).UTC(), "reasons": []string{"reaper.idle: idle"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "marks while legacy marks are stored", must(s.Marks())(t), map[MarkKey]Mark{})

	fresh := Mark{InstanceID: "i-2", Policy: "reaper.expiry", FirstSeen: time.Unix(1000, 0).UTC()}
	if err := s.ReplaceMarks(map[MarkKey]Mark{fresh.Key(): fresh}); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "marks after the legacy bucket is gone", must(s.Marks())(t), map[MarkKey]Mark{fresh.Key(): fresh})
	hasLegacy := func(s *Store) bool {
		var found bool
		s.db.View(func(tx *bolt.Tx) error { found = tx.Bucket(bucketMarks) != nil; return nil })
		return found
	}
	if hasLegacy(s) {
		t.Fatal("legacy marks bucket still there after ReplaceMarks")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if hasLegacy(s2) {
		t.Error("reopening created the legacy marks bucket again")
	}
}
