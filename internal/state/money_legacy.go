package state

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

// The previous version kept the price cache and the savings ledger in metadata:
//
//	pricing/bill/<instance>      {"month": 202610, "monthly": 93.26 | null, "fetched_at", "expires"}
//	pricing/list/<zone/type/...> {"monthly": 93.26 | null, "fetched_at", "expires"}
//	savings/index                [{"policy", "month"}, ...] (which buckets exist)
//	savings/<yyyyMM>/<policy>    {"total": 193.26, "instances": ["<id>", ...]}
//
// A writer that opens such a store, and Import, move them into the typed records (the keys go):
// each bucket's total as it was, each instance it holds as counted (its own amount unknown), each
// cache entry as it was. A cache entry that does not decode is dropped (it was a miss already; the
// next cycle asks again); a ledger bucket that does not decode fails the move, naming the key, and
// nothing changes.

var legacySavingsKey = regexp.MustCompile(`^savings/([0-9]{6})/(.+)$`)

const legacySavingsIndex = "savings/index"

// LegacyMoneyKey reports whether key is one of the previous version's money keys.
func LegacyMoneyKey(key string) bool {
	return strings.HasPrefix(key, "pricing/bill/") || strings.HasPrefix(key, "pricing/list/") ||
		key == legacySavingsIndex || legacySavingsKey.MatchString(key)
}

// LegacyMoney turns the previous version's keys among meta into money records; other keys are
// ignored.
func LegacyMoney(meta map[string]string) (Money, error) {
	out := Money{Savings: map[string]Saving{}}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		v := meta[k]
		switch {
		case strings.HasPrefix(k, "pricing/bill/"), strings.HasPrefix(k, "pricing/list/"):
			if p, ok := legacyPrice(k, v); ok {
				out.Prices = append(out.Prices, p)
			}
		case legacySavingsKey.MatchString(k):
			if err := legacyBucket(k, v, &out); err != nil {
				return Money{}, err
			}
		}
	}
	SortPrices(out.Prices)
	SortTotals(out.Totals)
	return out, nil
}

func legacyPrice(key, value string) (Price, bool) {
	var e struct {
		Month     int           `json:"month"`
		Monthly   *money.Micros `json:"monthly"`
		FetchedAt time.Time     `json:"fetched_at"`
		Expires   time.Time     `json:"expires"`
	}
	if json.Unmarshal([]byte(value), &e) != nil {
		return Price{}, false
	}
	p := Price{Kind: PriceList, Key: strings.TrimPrefix(key, "pricing/list/"), Monthly: e.Monthly,
		FetchedAt: e.FetchedAt, Expires: e.Expires}
	if rest, ok := strings.CutPrefix(key, "pricing/bill/"); ok {
		p.Kind, p.Key, p.Month = PriceBill, rest, e.Month
	}
	if _, err := PreparePrice(p, e.FetchedAt); err != nil || p.FetchedAt.IsZero() {
		return Price{}, false
	}
	return p, true
}

func legacyBucket(key, value string, out *Money) error {
	m := legacySavingsKey.FindStringSubmatch(key)
	month, _ := strconv.Atoi(m[1])
	var b struct {
		Total     *money.Micros `json:"total"`
		Instances []string      `json:"instances"`
	}
	if err := json.Unmarshal([]byte(value), &b); err != nil {
		return fmt.Errorf("savings ledger of the previous version: %s does not decode: %w", key, err)
	}
	if b.Total == nil || !validMonth(month) {
		return fmt.Errorf("savings ledger of the previous version: %s has no total or no yyyyMM month", key)
	}
	out.Totals = append(out.Totals, SavingsTotal{Month: month, Policy: m[2], Amount: *b.Total})
	for _, id := range b.Instances {
		if _, seen := out.Savings[id]; id != "" && !seen {
			out.Savings[id] = Saving{InstanceID: id, Policy: m[2], Month: month}
		}
	}
	return nil
}

// mergeMoney adds add into m: prices and savings m lacks, and every total (summed with m's for the
// same month and policy).
func mergeMoney(m *Money, add Money) {
	have := map[PriceKey]bool{}
	for _, p := range m.Prices {
		have[p.ID()] = true
	}
	for _, p := range add.Prices {
		if !have[p.ID()] {
			m.Prices = append(m.Prices, p)
		}
	}
	if m.Savings == nil {
		m.Savings = map[string]Saving{}
	}
	for id, s := range add.Savings {
		if _, ok := m.Savings[id]; !ok {
			m.Savings[id] = s
		}
	}
	for _, t := range add.Totals {
		i := slices.IndexFunc(m.Totals, func(h SavingsTotal) bool { return h.Month == t.Month && h.Policy == t.Policy })
		if i < 0 {
			m.Totals = append(m.Totals, t)
			continue
		}
		m.Totals[i].Amount += t.Amount
	}
	SortPrices(m.Prices)
	SortTotals(m.Totals)
}

// UpgradeSnapshot returns s with the previous version's money keys in s.Meta moved into s.Money
// (see above), so that a snapshot exported from a store not opened for writing since imports
// complete. s itself is not changed: a snapshot with such keys is copied, one without is returned
// as it is.
func UpgradeSnapshot(s *Snapshot) (*Snapshot, error) {
	legacy := map[string]string{}
	for k, v := range s.Meta {
		if LegacyMoneyKey(k) {
			legacy[k] = v
		}
	}
	if len(legacy) == 0 {
		return s, nil
	}
	add, err := LegacyMoney(legacy)
	if err != nil {
		return nil, err
	}
	c := *s
	c.Meta = maps.Clone(s.Meta)
	c.Money = Money{Prices: slices.Clone(s.Money.Prices), Savings: maps.Clone(s.Money.Savings), Totals: slices.Clone(s.Money.Totals)}
	mergeMoney(&c.Money, add)
	for k := range legacy {
		delete(c.Meta, k)
	}
	return &c, nil
}
