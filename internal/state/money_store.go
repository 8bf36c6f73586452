package state

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketPrices        = []byte("prices")         // PriceKey.String() → Price
	bucketSavings       = []byte("savings")        // instance ID → Saving
	bucketSavingsTotals = []byte("savings_totals") // totalKey → SavingsTotal

	moneyBuckets = [][]byte{bucketPrices, bucketSavings, bucketSavingsTotals}
)

func totalKey(month int, policy string) []byte { return fmt.Appendf(nil, "%06d/%s", month, policy) }

// migrateMoney creates the money buckets (a store made before them gains them when a writer opens
// it, in the same schema version) and moves the previous version's money keys out of the metadata
// into them (see LegacyMoney), in the open's transaction.
func migrateMoney(tx *bolt.Tx) error {
	for _, name := range moneyBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	legacy := map[string]string{}
	err := meta.ForEach(func(k, v []byte) error {
		if LegacyMoneyKey(string(k)) {
			legacy[string(k)] = string(v)
		}
		return nil
	})
	if err != nil || len(legacy) == 0 {
		return err
	}
	add, err := LegacyMoney(legacy)
	if err != nil {
		return err
	}
	if err := mergeMoneyInto(tx, add); err != nil {
		return fmt.Errorf("move the savings ledger and price cache: %w", err)
	}
	for k := range legacy {
		if err := meta.Delete([]byte(k)); err != nil {
			return err
		}
	}
	return nil
}

// mergeMoneyInto writes add into tx's money buckets as mergeMoney merges.
func mergeMoneyInto(tx *bolt.Tx, add Money) error {
	prices, savings, totals := tx.Bucket(bucketPrices), tx.Bucket(bucketSavings), tx.Bucket(bucketSavingsTotals)
	for _, p := range add.Prices {
		if k := []byte(p.ID().String()); prices.Get(k) == nil {
			if err := putJSON(prices, k, p); err != nil {
				return err
			}
		}
	}
	for id, s := range add.Savings {
		if savings.Get([]byte(id)) == nil {
			if err := putJSON(savings, []byte(id), s); err != nil {
				return err
			}
		}
	}
	for _, t := range add.Totals {
		if err := addTotal(totals, t); err != nil {
			return err
		}
	}
	return nil
}

// addTotal adds t's amount to the total of its month and policy.
func addTotal(b *bolt.Bucket, t SavingsTotal) error {
	k := totalKey(t.Month, t.Policy)
	var have SavingsTotal
	if _, err := getJSON(b, k, &have); err != nil {
		return err
	}
	t.Amount += have.Amount
	return putJSON(b, k, t)
}

// Prices returns every cached price, sorted by key.
func (s *Store) Prices() ([]Price, error) {
	var out []Price
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bucketPrices), func(_ []byte, p Price) error {
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read prices: %w", err)
	}
	SortPrices(out)
	return out, nil
}

// PutPrices creates or replaces the cached prices, all in one transaction (see PreparePrice); of
// prices with the same key, the last one given wins.
func (s *Store) PutPrices(ps ...Price) error {
	now := s.now()
	prepared := make([]Price, len(ps))
	for i := range ps {
		p, err := PreparePrice(ps[i], now)
		if err != nil {
			return fmt.Errorf("put prices: %w", err)
		}
		prepared[i] = p
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPrices)
		for _, p := range prepared {
			if err := putJSON(b, []byte(p.ID().String()), p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put prices: %w", err)
	}
	return nil
}

// PrunePrices deletes the cached prices StalePrice(p, now, month) says are stale: bill entries of
// months before month and entries expired at now. It returns how many it deleted.
func (s *Store) PrunePrices(now time.Time, month int) (int, error) {
	var gone [][]byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPrices)
		err := eachJSON(b, func(k []byte, p Price) error {
			if StalePrice(p, now, month) {
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
		return 0, fmt.Errorf("prune prices: %w", err)
	}
	return len(gone), nil
}

// AddSaving counts a confirmed termination in the savings ledger, in one transaction: the
// instance is remembered and its amount added to its month's and policy's total, or, when the
// instance was counted before (under any month or policy), nothing changes and added is false.
// Adding the same termination again, after a restart or a crash, never counts it twice.
func (s *Store) AddSaving(sv Saving) (added bool, err error) {
	sv, err = PrepareSaving(sv, s.now())
	if err != nil {
		return false, fmt.Errorf("add saving: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSavings)
		if b.Get([]byte(sv.InstanceID)) != nil {
			return nil
		}
		added = true
		if err := putJSON(b, []byte(sv.InstanceID), sv); err != nil {
			return err
		}
		return addTotal(tx.Bucket(bucketSavingsTotals), SavingsTotal{Month: sv.Month, Policy: sv.Policy, Amount: *sv.Amount})
	})
	if err != nil {
		return false, fmt.Errorf("add saving %s: %w", sv.InstanceID, err)
	}
	return added, nil
}

// SavingsTotals returns the realized savings per month and policy, by month, then policy.
func (s *Store) SavingsTotals() ([]SavingsTotal, error) {
	var out []SavingsTotal
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bucketSavingsTotals), func(_ []byte, t SavingsTotal) error {
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read savings totals: %w", err)
	}
	SortTotals(out)
	return out, nil
}

// exportMoney reads the money buckets into snap.
func exportMoney(tx *bolt.Tx, snap *Snapshot) error {
	snap.Money = Money{}
	err := eachJSON(tx.Bucket(bucketPrices), func(_ []byte, p Price) error {
		snap.Money.Prices = append(snap.Money.Prices, p)
		return nil
	})
	if err != nil {
		return err
	}
	err = eachJSON(tx.Bucket(bucketSavings), func(k []byte, sv Saving) error {
		if snap.Money.Savings == nil {
			snap.Money.Savings = map[string]Saving{}
		}
		snap.Money.Savings[string(k)] = sv
		return nil
	})
	if err != nil {
		return err
	}
	err = eachJSON(tx.Bucket(bucketSavingsTotals), func(_ []byte, t SavingsTotal) error {
		snap.Money.Totals = append(snap.Money.Totals, t)
		return nil
	})
	SortPrices(snap.Money.Prices)
	SortTotals(snap.Money.Totals)
	return err
}

// importMoney writes snap's money records into tx's empty money buckets.
func importMoney(tx *bolt.Tx, snap *Snapshot) error {
	for _, name := range moneyBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return mergeMoneyInto(tx, snap.Money)
}

// moneyCount is how many money records tx holds, for Import's refusal of a non-empty store.
func moneyCount(tx *bolt.Tx) []Count {
	var out []Count
	for _, name := range moneyBuckets {
		n := 0
		if b := tx.Bucket(name); b != nil {
			n = b.Stats().KeyN
		}
		out = append(out, Count{string(name), n})
	}
	return out
}
