package state

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

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
