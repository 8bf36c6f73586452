package state

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func key(id, policy string) MarkKey { return MarkKey{InstanceID: id, Policy: policy} }

func TestReplaceMarks(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	a := Mark{InstanceID: "a", Policy: "reaper.idle", FirstSeen: t0, Reasons: []string{"idle"}}
	b := Mark{InstanceID: "b", Policy: "reaper.expiry", FirstSeen: t0, Reasons: []string{"expired"}}
	bIdle := Mark{InstanceID: "b", Policy: "reaper.idle", FirstSeen: t0.Add(23 * time.Hour), Reasons: []string{"idle"}}
	c := Mark{InstanceID: "c", Policy: "reaper.tags", FirstSeen: t0.Add(time.Hour), Reasons: []string{}}
	set := func(ms ...Mark) map[MarkKey]Mark {
		out := map[MarkKey]Mark{}
		for _, m := range ms {
			out[m.Key()] = m
		}
		return out
	}

	s := openStore(t)
	steps := []struct {
		name string
		set  map[MarkKey]Mark
	}{
		{"first set", set(a, b)},
		{"a second policy on b, adds c, drops a", set(b, bIdle, c)},
		{"same again", set(b, bIdle, c)},
		{"the first policy of b stops", set(bIdle, c)},
		{"empty", set()},
		{"nil after some", set(a)},
		{"nil", nil},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := s.ReplaceMarks(step.set); err != nil {
				t.Fatalf("ReplaceMarks: %v", err)
			}
			want := step.set
			if want == nil {
				want = map[MarkKey]Mark{}
			}
			checkEqual(t, "marks", must(s.Marks())(t), want)
		})
	}
}

func TestReplaceMarksFillsDefaults(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s := openStore(t, WithNow(fixedClock(now)))
	if err := s.ReplaceMarks(map[MarkKey]Mark{key("a", "reaper.idle"): {Reasons: []string{"r"}}}); err != nil {
		t.Fatal(err)
	}
	want := map[MarkKey]Mark{key("a", "reaper.idle"): {InstanceID: "a", Policy: "reaper.idle", FirstSeen: now, Reasons: []string{"r"}}}
	checkEqual(t, "marks", must(s.Marks())(t), want)
}

func TestReplaceMarksInvalidKeepsOldSet(t *testing.T) {
	old := map[MarkKey]Mark{key("a", "p"): {InstanceID: "a", Policy: "p", FirstSeen: time.Unix(100, 0).UTC()}}
	tests := []struct {
		name string
		set  map[MarkKey]Mark
	}{
		{"key and id differ", map[MarkKey]Mark{key("b", "p"): {InstanceID: "c"}}},
		{"key and policy differ", map[MarkKey]Mark{key("b", "p"): {Policy: "q"}}},
		{"empty instance id", map[MarkKey]Mark{key("", "p"): {}}},
		{"empty policy", map[MarkKey]Mark{key("a", ""): {}}},
		{"NUL in the policy", map[MarkKey]Mark{key("a", "p\x00q"): {}}},
		{"NUL in the instance id", map[MarkKey]Mark{key("a\x00p", "q"): {}}},
		{"valid then invalid", map[MarkKey]Mark{key("a", "p"): {}, key("z", "p"): {InstanceID: "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			if err := s.ReplaceMarks(old); err != nil {
				t.Fatal(err)
			}
			if err := s.ReplaceMarks(tt.set); err == nil {
				t.Fatal("ReplaceMarks succeeded, want an error")
			}
			checkEqual(t, "marks after failed replace", must(s.Marks())(t), old)
		})
	}
}

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
