package state

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TrafficRecord caches the traffic statistics fetched for one instance over a
// window: how many samples came back of how many expected, how many came
// without a figure, the p95 and mean rates each way in bits per second, and
// the fetch error, if any.
type TrafficRecord struct {
	InstanceID  string    `json:"instance_id"`
	FetchedAt   time.Time `json:"fetched_at"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Samples     int       `json:"samples"`
	// Missing counts the points the API sent without a figure; nil when the
	// record does not say (written before it was counted), which is not zero.
	Missing  *int   `json:"missing"`
	Expected int    `json:"expected"`
	InP95    int64  `json:"in_p95"`
	OutP95   int64  `json:"out_p95"`
	InAvg    int64  `json:"in_avg"`
	OutAvg   int64  `json:"out_avg"`
	Error    string `json:"error"`
	// Days are the per-day aggregates the figures above were computed from, oldest first, so a
	// refresh asks only for what is newer than the last day's Through. Empty in a record written
	// before days were kept: such a record is fetched again in full.
	Days []TrafficDay `json:"days,omitempty"`
}

// Traffic returns the cached record for instanceID; ok is false when there is none.
func (s *Store) Traffic(instanceID string) (TrafficRecord, bool, error) {
	var rec TrafficRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = getJSON(tx.Bucket(bucketTraffic), []byte(instanceID), &rec)
		return err
	})
	if err != nil {
		return TrafficRecord{}, false, fmt.Errorf("read traffic %s: %w", instanceID, err)
	}
	return rec, ok, nil
}

// PutTraffic creates or replaces the records, all in one transaction; of records with the same
// instance ID, the last one given wins. A zero FetchedAt becomes now.
func (s *Store) PutTraffic(recs ...TrafficRecord) error {
	recs, err := PrepareTraffic(recs, s.now())
	if err != nil {
		return fmt.Errorf("put traffic: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTraffic)
		for _, r := range recs {
			if err := putJSON(b, []byte(r.InstanceID), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put traffic: %w", err)
	}
	return nil
}

// PruneTraffic deletes the records of every instance not in keep (an empty
// keep deletes them all).
func (s *Store) PruneTraffic(keep map[string]bool) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTraffic)
		var gone [][]byte
		err := b.ForEach(func(k, _ []byte) error {
			if !keep[string(k)] {
				gone = append(gone, slices.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return deleteKeys(b, gone)
	})
	if err != nil {
		return fmt.Errorf("prune traffic: %w", err)
	}
	return nil
}
