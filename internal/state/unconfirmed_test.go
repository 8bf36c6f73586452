package state

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestUnconfirmed(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s := openStore(t, WithNow(fixedClock(t0)))
	a := Unconfirmed{InstanceID: "a", Attempts: 1, FirstAt: t0, LastAt: t0, RequestID: "req-a", Observed: "RUNNING"}
	if err := s.PutUnconfirmed(a); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUnconfirmed(Unconfirmed{InstanceID: "b", Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	b := Unconfirmed{InstanceID: "b", Attempts: 1, FirstAt: t0, LastAt: t0} // zero times filled from the clock
	checkEqual(t, "unconfirmed", must(s.Unconfirmed())(t), map[string]Unconfirmed{"a": a, "b": b})

	a.Attempts, a.LastAt, a.RequestID = 2, t0.Add(6*time.Hour), "req-a2"
	if err := s.PutUnconfirmed(a); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUnconfirmed("b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUnconfirmed("never"); err != nil {
		t.Errorf("DeleteUnconfirmed(unknown) = %v, want nil", err)
	}
	checkEqual(t, "unconfirmed after replace and delete", must(s.Unconfirmed())(t), map[string]Unconfirmed{"a": a})
}

func TestPutUnconfirmedInvalid(t *testing.T) {
	s := openStore(t)
	for name, u := range map[string]Unconfirmed{"empty id": {Attempts: 1}, "no attempts": {InstanceID: "a"}} {
		if err := s.PutUnconfirmed(u); err == nil {
			t.Errorf("%s: PutUnconfirmed succeeded, want an error", name)
		}
	}
}

// A store written before the unconfirmed bucket existed still opens at the same schema version:
// a reader sees no records, a writer adds the bucket.
func TestUnconfirmedBucketAddedToOlderStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := s.path
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketUnconfirmed) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("OpenReadOnly of an older store: %v", err)
	}
	if got, err := ro.Unconfirmed(); err != nil || len(got) != 0 {
		t.Errorf("read-only Unconfirmed = %v, %v; want none", got, err)
	}
	ro.Close()

	rw := openStoreIn(t, dir)
	if err := rw.PutUnconfirmed(Unconfirmed{InstanceID: "a", Attempts: 1}); err != nil {
		t.Fatalf("PutUnconfirmed after upgrade: %v", err)
	}
}
