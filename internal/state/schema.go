package state

import (
	"errors"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the version of the state layout this package reads and writes.
const SchemaVersion = 1

const keySchemaVersion = "schema_version"

var (
	bucketMeta     = []byte("meta")
	bucketMarks    = []byte("marks")
	bucketRefusals = []byte("refusals")
	bucketIntents  = []byte("intents")
	bucketRuns     = []byte("runs")
	bucketTraffic  = []byte("traffic")
	// bucketUnconfirmed holds terminations the API accepted that did not take. A store made
	// before it existed gains it when a writer opens it: the layout stays SchemaVersion 1.
	bucketUnconfirmed = []byte("unconfirmed")

	allBuckets = [][]byte{bucketMeta, bucketPolicyMarks, bucketRefusals, bucketIntents, bucketRuns, bucketTraffic, bucketUnconfirmed}
)

// initSchema checks, read-only, the file's integrity and schema version; a
// writer (after a read-only open checked the file) creates what is missing
// and migrates what is old.
func (s *Store) initSchema(readOnly bool) error {
	if readOnly {
		if err := s.db.View(func(tx *bolt.Tx) error { return checkPages(tx, s.path) }); err != nil {
			return err
		}
		return s.db.View(func(tx *bolt.Tx) error {
			_, err := checkSchema(tx, s.path)
			return err
		})
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		fresh, err := checkSchema(tx, s.path)
		if err != nil {
			return err
		}
		if err := createSchema(tx, fresh); err != nil {
			return err
		}
		if err := migrateMoney(tx); err != nil {
			return err
		}
		return migrateRuns(tx)
	})
}

// checkSchema reports whether tx's database is fresh (no buckets yet), and
// fails unless it is fresh or carries SchemaVersion.
func checkSchema(tx *bolt.Tx, path string) (fresh bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if hasBuckets(tx) {
			return false, &CorruptError{Path: path, Err: errors.New("no meta bucket")}
		}
		return true, nil
	}
	v := meta.Get([]byte(keySchemaVersion))
	if v == nil {
		return false, &CorruptError{Path: path, Err: errors.New("no schema version")}
	}
	if string(v) != strconv.Itoa(SchemaVersion) {
		return false, &SchemaError{Path: path, Found: string(v), Supported: SchemaVersion}
	}
	return false, nil
}

// createSchema creates any missing bucket and, on a fresh database, the version.
func createSchema(tx *bolt.Tx, fresh bool) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if !fresh {
		return nil
	}
	return tx.Bucket(bucketMeta).Put([]byte(keySchemaVersion), []byte(strconv.Itoa(SchemaVersion)))
}

// hasBuckets reports whether tx's database has any top-level bucket.
func hasBuckets(tx *bolt.Tx) bool {
	k, _ := tx.Cursor().First()
	return k != nil
}

// checkPages runs bbolt's consistency check and reports its first finding
// (after draining the rest, so its goroutine ends).
func checkPages(tx *bolt.Tx, path string) error {
	var first error
	for err := range tx.Check() {
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return &CorruptError{Path: path, Err: first}
	}
	return nil
}
