package state

import (
	"fmt"
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

// TestReplaceMarksFillsPages: a large fleet's marks (tens of thousands of candidates) are
// written sorted into a new bucket, so its pages are filled, not left half empty for inserts
// that never come (issue 14: the write's pages were a tenth of a 300,000-instance plan's peak
// heap); every mark reads back.
func TestReplaceMarksFillsPages(t *testing.T) {
	s := openStore(t)
	marks := map[MarkKey]Mark{}
	first := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 20000 {
		for _, p := range []string{"reaper.expiry", "reaper.idle"}[:1+i%2] {
			m := Mark{InstanceID: fmt.Sprintf("%018d", 100000000000000000+i*7919), Policy: p, FirstSeen: first}
			marks[m.Key()] = m
		}
	}
	if err := s.ReplaceMarks(marks); err != nil {
		t.Fatal(err)
	}
	got, err := s.Marks()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(marks) {
		t.Fatalf("read back %d marks, want %d", len(got), len(marks))
	}
	for k, m := range marks {
		if g, ok := got[k]; !ok || !g.FirstSeen.Equal(m.FirstSeen) {
			t.Fatalf("mark %v read back as %+v, want %+v", k, g, m)
		}
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		st := tx.Bucket(bucketPolicyMarks).Stats()
		fill := float64(st.LeafInuse) / float64(st.LeafPageN*s.db.Info().PageSize)
		if fill < 0.85 {
			t.Errorf("leaf pages %.0f %% full (%d pages for %d marks), want at least 85 %%", 100*fill, st.LeafPageN, len(marks))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
