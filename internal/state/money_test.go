package state

import (
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestMoneyFromPreviousVersion: a bbolt file the previous version wrote (no money buckets, the
// ledger and the cache in meta) reads as it is read-only (no money yet, the keys exported for
// state migrate to move) and is moved on the first open for writing.
func TestMoneyFromPreviousVersion(t *testing.T) {
	dir := t.TempDir()
	s := openStoreIn(t, dir)
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range moneyBuckets {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		for k, v := range map[string]string{
			"savings/index":                               `[{"policy":"reaper.idle","month":202611,"amount":0}]`,
			"savings/202611/reaper.idle":                  `{"total":193.26,"instances":["A","B"]}`,
			"pricing/list/SEL-A/M6C/POSTPAID/ByBandwidth": `{"monthly":963.6,"fetched_at":"2026-11-05T00:00:00Z","expires":"2026-11-06T00:00:00Z"}`,
		} {
			if err := meta.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := ro.Prices(); err != nil || ps != nil {
		t.Errorf("read-only Prices = %v, %v; want none yet", ps, err)
	}
	if ts, err := ro.SavingsTotals(); err != nil || ts != nil {
		t.Errorf("read-only SavingsTotals = %v, %v; want none yet", ts, err)
	}
	snap, err := ro.Export()
	if err != nil || len(snap.Meta) != 3 {
		t.Fatalf("read-only Export = %v, %v; want the 3 old keys in meta", snap, err)
	}
	up, err := UpgradeSnapshot(snap)
	if err != nil || len(up.Meta) != 0 || len(up.Money.Totals) != 1 || len(up.Money.Savings) != 2 || len(up.Money.Prices) != 1 {
		t.Errorf("UpgradeSnapshot = %+v, %v; want everything moved", up, err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStoreIn(t, dir)
	ts, err := s.SavingsTotals()
	if err != nil || len(ts) != 1 || ts[0].Amount != 193_260_000 || ts[0].Policy != "reaper.idle" || ts[0].Month != 202611 {
		t.Errorf("SavingsTotals after a writer's open = %+v, %v", ts, err)
	}
	if ps, err := s.Prices(); err != nil || len(ps) != 1 || ps[0].Kind != PriceList || *ps[0].Monthly != 963_600_000 {
		t.Errorf("Prices after a writer's open = %+v, %v", ps, err)
	}
	if _, found, _ := s.Meta("savings/index"); found {
		t.Error("savings/index is still in meta")
	}
}
