package state

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Export reads the whole store in one read transaction.
func (s *Store) Export() (*Snapshot, error) {
	snap := &Snapshot{Marks: map[MarkKey]Mark{}, Refusals: map[string]Refusal{}, Unconfirmed: map[string]Unconfirmed{},
		Traffic: map[string]TrafficRecord{}, Meta: map[string]string{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMarks) == nil { // see Marks
			err := eachJSON(tx.Bucket(bucketPolicyMarks), func(_ []byte, m Mark) error {
				snap.Marks[m.Key()] = m
				return nil
			})
			if err != nil {
				return err
			}
		}
		if err := eachJSON(tx.Bucket(bucketRefusals), func(k []byte, r Refusal) error {
			snap.Refusals[string(k)] = r
			return nil
		}); err != nil {
			return err
		}
		if err := eachJSON(tx.Bucket(bucketUnconfirmed), func(k []byte, u Unconfirmed) error {
			snap.Unconfirmed[string(k)] = u
			return nil
		}); err != nil {
			return err
		}
		if err := eachJSON(tx.Bucket(bucketIntents), func(_ []byte, in Intent) error {
			snap.Intents = append(snap.Intents, in)
			return nil
		}); err != nil {
			return err
		}
		if err := eachJSON(tx.Bucket(bucketTraffic), func(k []byte, r TrafficRecord) error {
			snap.Traffic[string(k)] = r
			return nil
		}); err != nil {
			return err
		}
		if err := exportMoney(tx, snap); err != nil {
			return err
		}
		return exportRunsAndMeta(tx, snap)
	})
	if err != nil {
		return nil, fmt.Errorf("export state: %w", err)
	}
	SortIntents(snap.Intents)
	return snap, nil
}

// exportRunsAndMeta reads the runs, the run sequence, the clock baseline and the metadata.
func exportRunsAndMeta(tx *bolt.Tx, snap *Snapshot) error {
	err := eachNewestRun(tx, func(k, data []byte) (bool, error) {
		var r Run
		if err := decodeJSON(k, data, &r); err != nil {
			return false, err
		}
		snap.Runs = append(snap.Runs, r)
		return false, nil
	})
	if err != nil {
		return err
	}
	if b := tx.Bucket(bucketRuns); b != nil {
		snap.RunSeq = b.Sequence()
	}
	if snap.LastRunTime, _, err = lastRunTime(tx); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).ForEach(func(k, v []byte) error {
		if !reservedMeta(string(k)) {
			snap.Meta[string(k)] = string(v)
		}
		return nil
	})
}

// Import writes snap into the store in one transaction. It fails with a *NotEmptyError, and
// writes nothing, unless the store is empty (see Snapshot.Empty). Records are written as they
// are: runs keep their sequence numbers and nodes, intents their outcomes, and no time is
// filled in.
func (s *Store) Import(snap *Snapshot) error {
	snap, err := UpgradeSnapshot(snap)
	if err != nil {
		return fmt.Errorf("import state: %w", err)
	}
	if err := CheckSnapshot(snap); err != nil {
		return fmt.Errorf("import state: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		have := Snapshot{Meta: map[string]string{}}
		if err := exportRunsAndMeta(tx, &have); err != nil {
			return err
		}
		counts := []Count{}
		total := 0
		for _, name := range [][]byte{bucketPolicyMarks, bucketMarks, bucketRefusals, bucketUnconfirmed, bucketIntents, bucketRuns, bucketTraffic} {
			n := 0
			if b := tx.Bucket(name); b != nil {
				n = b.Stats().KeyN
			}
			counts = append(counts, Count{string(name), n})
			total += n
		}
		for _, c := range moneyCount(tx) {
			counts = append(counts, c)
			total += c.N
		}
		counts = append(counts, Count{"meta", len(have.Meta)})
		if total > 0 || len(have.Meta) > 0 || have.RunSeq > 0 || !have.LastRunTime.IsZero() {
			return &NotEmptyError{Where: s.path, Counts: counts, RunSeq: have.RunSeq}
		}
		return importInto(tx, snap)
	})
	if err != nil {
		return fmt.Errorf("import state: %w", err)
	}
	return nil
}

// importInto writes snap's records into tx's empty buckets.
func importInto(tx *bolt.Tx, snap *Snapshot) error {
	puts := []struct {
		bucket []byte
		each   func(put func(key []byte, v any) error) error
	}{
		{bucketPolicyMarks, func(put func([]byte, any) error) error {
			for k, m := range snap.Marks {
				if err := put(k.bytes(), m); err != nil {
					return err
				}
			}
			return nil
		}},
		{bucketRefusals, eachPut(snap.Refusals)},
		{bucketUnconfirmed, eachPut(snap.Unconfirmed)},
		{bucketTraffic, eachPut(snap.Traffic)},
		{bucketIntents, func(put func([]byte, any) error) error {
			for _, in := range snap.Intents {
				if err := put([]byte(in.RunID+"/"+in.InstanceID), in); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, p := range puts {
		b := tx.Bucket(p.bucket)
		if err := p.each(func(k []byte, v any) error { return putJSON(b, k, v) }); err != nil {
			return err
		}
	}
	runs, index := tx.Bucket(bucketRuns), tx.Bucket(bucketRunSeq)
	for _, r := range snap.Runs {
		if err := index.Put(seqKey(r.Seq), []byte(r.ID)); err != nil {
			return err
		}
		if err := putJSON(runs, []byte(r.ID), r); err != nil {
			return err
		}
	}
	if err := runs.SetSequence(snap.RunSeq); err != nil {
		return err
	}
	if err := importMoney(tx, snap); err != nil {
		return err
	}
	meta := tx.Bucket(bucketMeta)
	for k, v := range snap.Meta {
		if err := meta.Put([]byte(k), []byte(v)); err != nil {
			return err
		}
	}
	if snap.LastRunTime.IsZero() {
		return nil
	}
	return setLastRunTime(tx, snap.LastRunTime)
}

// eachPut returns a function that puts every value of m under its key.
func eachPut[T any](m map[string]T) func(put func([]byte, any) error) error {
	return func(put func([]byte, any) error) error {
		for k, v := range m {
			if err := put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	}
}
